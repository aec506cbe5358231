"""A built knowledge graph as searches use it: the networkx graph, its communities and
their reports, the merges entity resolution made, and what it was built from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import networkx as nx
from pydantic import BaseModel, Field, ValidationError

from agentkit.errors import ConfigError
from agentkit.graphrag.communities import Community
from agentkit.graphrag.reports import CommunityReport
from agentkit.graphrag.resolution import Merge
from agentkit.graphrag.storage import GraphFiles, rebuild_hint
from agentkit.rag.config import StoreConfig
from agentkit.workspace import state_dir

FORMAT_VERSION = 1


class GraphMeta(BaseModel):
    """What a graph was built from and how big it is."""

    format_version: int = FORMAT_VERSION
    store: str
    store_identity: str = Field(description="the store's folder, or Weaviate url/collection")
    extractor: str
    extractor_version: str
    stamp: str = Field(description="hash of the chunk ids, extractor and settings it was built from")
    chunks: int
    entities: int
    relations: int
    communities: int
    built: datetime = Field(default_factory=lambda: datetime.now(timezone.utc))
    seconds: float = 0.0


@dataclass
class KnowledgeGraph:
    """The derived graph of one store, loaded."""

    meta: GraphMeta
    graph: nx.Graph
    communities: list[Community]
    reports: list[CommunityReport]
    merges: list[Merge]

    def to_snapshot(self) -> dict[str, Any]:
        """The JSON document `graph.json` holds."""
        return {
            "meta": self.meta.model_dump(mode="json"),
            "graph": nx.node_link_data(self.graph, edges="edges"),
            "communities": [c.model_dump(mode="json") for c in self.communities],
            "reports": [r.model_dump(mode="json") for r in self.reports],
            "merges": [m.model_dump(mode="json") for m in self.merges],
        }

    @classmethod
    def from_snapshot(cls, snapshot: dict[str, Any]) -> "KnowledgeGraph":
        """Inverse of `to_snapshot` (ValidationError/KeyError on a malformed document)."""
        return cls(
            meta=GraphMeta.model_validate(snapshot["meta"]),
            graph=nx.node_link_graph(snapshot["graph"], edges="edges"),
            communities=[Community.model_validate(c) for c in snapshot["communities"]],
            reports=[CommunityReport.model_validate(r) for r in snapshot["reports"]],
            merges=[Merge.model_validate(m) for m in snapshot["merges"]],
        )

    def entities(self) -> list[str]:
        """Entity node ids."""
        return [n for n, kind in self.graph.nodes(data="kind") if kind == "entity"]


def store_identity(config: StoreConfig, workspace: Path) -> str:
    """What names a store's contents, so a graph is never read against another store (an
    embedded store inside the workspace by its relative folder: a moved workspace keeps its graphs)."""
    if config.backend == "weaviate":
        weaviate = config.weaviate_config()
        return f"weaviate {weaviate.url} {weaviate.collection}"
    folder = config.folder(workspace)
    root = workspace.resolve()
    return f"embedded {folder.relative_to(root) if folder.is_relative_to(root) else folder}"


def graph_folder(config: StoreConfig, workspace: Path) -> Path:
    """`<workspace>/.agentkit/graphs/<store name>/`."""
    return state_dir(workspace) / "graphs" / config.name


def load_knowledge_graph(config: StoreConfig, workspace: Path) -> KnowledgeGraph:
    """The graph last built for the store, checked against it and against the current
    extractor version; a clear error otherwise."""
    from agentkit.graphrag.extractors import current_version

    folder = graph_folder(config, workspace)
    if not (folder / "graph.json").exists():
        raise ConfigError(f"store {config.name!r} has no knowledge graph yet ({folder} is empty)\n"
                          f"    fix: run `agentkit kg build --store {config.name}`")
    files = GraphFiles(folder, config.name)
    try:
        snapshot = files.read_snapshot() or {}
    finally:
        files.close()
    try:
        kg = KnowledgeGraph.from_snapshot(snapshot)
    except (ValidationError, KeyError, TypeError, nx.NetworkXError) as exc:
        raise ConfigError(f"{folder / 'graph.json'} is not a knowledge graph this version reads ({exc})\n"
                          f"    fix: run `{rebuild_hint(config.name)}`") from None
    if kg.meta.format_version != FORMAT_VERSION:
        raise ConfigError(f"{folder / 'graph.json'} was written in format {kg.meta.format_version}, "
                          f"this agentkit reads {FORMAT_VERSION}\n    fix: run `{rebuild_hint(config.name)}`")
    if (version := current_version(kg.meta.extractor)) != kg.meta.extractor_version:
        raise ConfigError(f"the knowledge graph of store {config.name!r} was built by extractor {kg.meta.extractor} "
                          f"v{kg.meta.extractor_version}; this agentkit's is "
                          f"{f'v{version}' if version else 'unknown'}\n    fix: run `agentkit kg build --store "
                          f"{config.name}` (it re-extracts with the current version)")
    identity = store_identity(config, workspace)
    if kg.meta.store_identity != identity:
        raise ConfigError(f"the knowledge graph in {folder} was built over {kg.meta.store_identity}, "
                          f"not {identity}\n    fix: run `{rebuild_hint(config.name)}`")
    return kg

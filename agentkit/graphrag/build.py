"""Build (or bring up to date) the knowledge graph of a store.

The store's chunk ids are content hashes, so diffing them against the stored extractions
is the whole incremental plan: new chunks are extracted, vanished chunks' extractions are
deleted (with them their mentions, and entities and relations left with no evidence),
and the graph is derived again from what is stored. A build killed at any moment keeps
the batches it committed; the re-run extracts the rest and derives the same graph.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import networkx as nx
import numpy as np
from langchain_core.embeddings import Embeddings
from pydantic import BaseModel, ConfigDict, Field

from agentkit.errors import ConfigError
from agentkit.graphrag.assemble import assemble, surface_forms
from agentkit.graphrag.communities import Community, detect_communities
from agentkit.graphrag.knowledge_graph import GraphMeta, KnowledgeGraph
from agentkit.graphrag.reports import CommunityReport, extractive_report, renumbered, report_key
from agentkit.graphrag.resolution import Merge, ResolutionConfig, find_merges
from agentkit.graphrag.storage import GraphFiles
from agentkit.graphrag.types import Extractor, entity_node
from agentkit.rag.stores.base import ChunkStore

Counter = Callable[[int], None]


class BuildSettings(BaseModel):
    """How the graph is derived from the extractions."""

    model_config = ConfigDict(extra="forbid")

    resolution: ResolutionConfig = Field(default_factory=ResolutionConfig)
    seed: int = Field(0, description="community detection seed (same seed, same communities)")
    max_cluster_size: int = Field(50, ge=2, description="communities larger than this are split a level down")
    batch_size: int = Field(64, ge=1, description="chunks extracted per committed batch")


@dataclass
class BuildReport:
    """What a build did."""

    extracted: int = 0
    deleted: int = 0
    unchanged: int = 0
    rebuilt_because: str | None = None
    derived: bool = False
    tokens: int = 0
    seconds: float = 0.0
    meta: GraphMeta | None = None
    timings: dict[str, float] = field(default_factory=dict)

    def summary(self) -> str:
        """Lines for the CLI."""
        lines = [f"rebuilding from scratch: {self.rebuilt_because}"] if self.rebuilt_because else []
        lines.append(f"{self.extracted} chunks extracted, {self.deleted} removed, {self.unchanged} unchanged"
                     + (f", {self.tokens} LLM tokens" if self.tokens else "") + f", {self.seconds:.1f} s")
        if self.meta and self.derived:
            m = self.meta
            lines.append(f"graph: {m.entities} entities, {m.relations} relations, {m.chunks} chunks, "
                         f"{m.communities} communities")
        elif not self.derived:
            lines.append("graph unchanged")
        return "\n".join(lines)


@dataclass
class BuildCallbacks:
    """Progress hooks: `planned(new, removed)` before extraction, `extracted(n)` as it goes,
    `phase(name)` when a derivation step starts."""

    planned: Callable[[int, int], None] = lambda new, removed: None
    extracted: Counter = lambda n: None
    phase: Callable[[str], None] = lambda name: None


def build_knowledge_graph(
    store: ChunkStore,
    files: GraphFiles,
    identity: str,
    extractor: Extractor,
    embeddings: Embeddings | None = None,
    settings: BuildSettings = BuildSettings(),
    callbacks: BuildCallbacks = BuildCallbacks(),
) -> BuildReport:
    """Extract what is new, forget what left the store, and derive the graph again if anything
    changed. `embeddings` (the store's) serve entity resolution's similarity merges."""
    started = time.perf_counter()
    report = BuildReport(rebuilt_because=_reset_reason(files.meta(), identity, extractor))
    if report.rebuilt_because:
        files.clear()
    files.set_meta({"store_identity": identity, "extractor": extractor.name,
                    "extractor_version": extractor.version})
    in_store = set().union(*store.ids_by_source().values())
    done = files.extracted_ids()
    new, gone = sorted(in_store - done), sorted(done - in_store)
    report.unchanged, report.deleted = len(in_store & done), len(gone)
    callbacks.planned(len(new), len(gone))
    files.delete_extractions(gone)
    for start in range(0, len(new), settings.batch_size):
        extractions = extractor.extract(store.get(new[start:start + settings.batch_size]), callbacks.extracted)
        files.save_extractions(extractions)
        report.extracted += len(extractions)
        report.tokens += sum(e.tokens for e in extractions)
    stamp = _stamp(in_store, extractor, settings, files.unmerged())
    if not files.snapshot_current(stamp):
        kg = derive(store, files, identity, extractor, embeddings, settings, stamp, callbacks, report.timings)
        kg.meta.seconds = time.perf_counter() - started
        files.write_snapshot(kg.to_snapshot(), stamp)
        report.derived, report.meta = True, kg.meta
    report.seconds = time.perf_counter() - started
    return report


def derive(
    store: ChunkStore, files: GraphFiles, identity: str, extractor: Extractor, embeddings: Embeddings | None,
    settings: BuildSettings, stamp: str, callbacks: BuildCallbacks, timings: dict[str, float],
) -> KnowledgeGraph:
    """The graph, communities and reports of every stored extraction."""
    @contextmanager
    def phase(name: str) -> Iterator[None]:
        callbacks.phase(name)
        start = time.perf_counter()
        yield
        timings[name] = time.perf_counter() - start

    with phase("read"):
        extractions, digests = files.extraction_rows()
    with phase("resolve"):
        embed = _cached_embedder(files, embeddings) if embeddings and settings.resolution.use_embeddings else None
        merges = find_merges(surface_forms(extractions), settings.resolution, embed, files.unmerged())
    with phase("assemble"):
        graph = assemble(extractions, {merge.alias: merge.canonical for merge in merges})
    with phase("communities"):
        communities = detect_communities(graph, seed=settings.seed, max_cluster_size=settings.max_cluster_size)
    with phase("reports"):
        reports = _reports(store, files, graph, communities, merges, digests)
    relations = sum(1 for *_, kind in graph.edges(data="kind") if kind == "relation")
    entities = sum(1 for _, kind in graph.nodes(data="kind") if kind == "entity")
    meta = GraphMeta(store=files.store, store_identity=identity, extractor=extractor.name,
                     extractor_version=extractor.version, stamp=stamp, chunks=len(extractions),
                     entities=entities, relations=relations, communities=len(communities))
    return KnowledgeGraph(meta=meta, graph=graph, communities=communities, reports=reports, merges=merges)


def _reports(store: ChunkStore, files: GraphFiles, graph: nx.Graph, communities: list[Community],
             merges: list[Merge], digests: dict[str, str]) -> list[CommunityReport]:
    """The report of every community of two or more entities: reused from kg.sqlite when
    nothing it is derived from changed, else written (only those communities' texts are read)."""
    merged_into: dict[str, list[str]] = defaultdict(list)
    for merge in sorted(merges, key=lambda m: m.alias):
        merged_into[entity_node(merge.canonical)].append(merge.alias)
    wanted = [community for community in communities if len(community.entities) > 1]
    keys = [report_key(community, merged_into, digests) for community in wanted]
    cached = files.cached_reports(keys)
    fresh = [community for community, key in zip(wanted, keys) if key not in cached]
    texts = {chunk.id: chunk.text for chunk in store.get(sorted({c for f in fresh for c in f.chunk_ids}))}
    reports, payloads = [], {}
    for community, key in zip(wanted, keys):
        if key in cached:
            reports.append(renumbered(CommunityReport.model_validate_json(cached[key]), community))
            payloads[key] = cached[key]
        else:
            reports.append(extractive_report(graph, community, texts))
            payloads[key] = reports[-1].model_dump_json()
    files.replace_cached_reports(payloads)
    return reports


def _reset_reason(meta: dict[str, str], identity: str, extractor: Extractor) -> str | None:
    """Why the stored extractions cannot be reused (None: they can)."""
    if not meta:
        return None
    if meta.get("store_identity") != identity:
        raise ConfigError(f"this knowledge graph was built over {meta.get('store_identity')}, not {identity}\n"
                          "    fix: add --rebuild to replace it with a graph of this store")
    built_by = (meta.get("extractor"), meta.get("extractor_version"))
    if built_by != (extractor.name, extractor.version):
        return (f"the stored extractions were made by {built_by[0]} v{built_by[1]}, "
                f"this build uses {extractor.name} v{extractor.version}")
    return None


def _stamp(chunk_ids: set[str], extractor: Extractor, settings: BuildSettings,
           unmerged: set[tuple[str, str]]) -> str:
    """A hash of everything the derived graph depends on."""
    digest = hashlib.sha256()
    digest.update(json.dumps([extractor.name, extractor.version, settings.model_dump(mode="json", exclude={"batch_size"}),
                              sorted(unmerged)]).encode())
    for chunk_id in sorted(chunk_ids):
        digest.update(chunk_id.encode())
    return digest.hexdigest()[:24]


def _cached_embedder(files: GraphFiles, embeddings: Embeddings) -> Callable[[list[str]], np.ndarray]:
    """Embed entity names, each name once across builds (vectors cached in kg.sqlite)."""
    def embed(forms: list[str]) -> np.ndarray:
        cached = files.name_vectors(forms)
        missing = [form for form in dict.fromkeys(forms) if form not in cached]
        if missing:
            fresh = dict(zip(missing, np.asarray(embeddings.embed_documents(missing), dtype=np.float32)))
            files.save_name_vectors(fresh)
            cached |= fresh
        return np.stack([cached[form] for form in forms]) if forms else np.zeros((0, 0), dtype=np.float32)

    return embed

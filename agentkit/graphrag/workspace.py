"""A store's knowledge graph in a workspace: open, update, look up entities."""

from __future__ import annotations

from difflib import get_close_matches
from pathlib import Path

from agentkit.errors import ConfigError
from agentkit.graphrag.build import BuildCallbacks, BuildReport, BuildSettings, build_knowledge_graph
from agentkit.graphrag.knowledge_graph import KnowledgeGraph, graph_folder, store_identity
from agentkit.graphrag.names import normalize
from agentkit.graphrag.storage import GraphFiles, set_aside_unreadable
from agentkit.graphrag.types import Extractor, entity_node
from agentkit.rag.chunks import Chunk
from agentkit.rag.config import StoreConfig
from agentkit.rag.document_index import DocumentIndex


def open_graph_files(config: StoreConfig, workspace: Path) -> GraphFiles:
    """The graph files of a store (created on first use)."""
    return GraphFiles(graph_folder(config, workspace), config.name)


def update_store_graph(
    config: StoreConfig, workspace: Path, extractor: Extractor, settings: BuildSettings = BuildSettings(),
    callbacks: BuildCallbacks = BuildCallbacks(), rebuild: bool = False,
) -> BuildReport:
    """Bring the store's graph up to date with its chunks (see `build_knowledge_graph`)."""
    index = _open_filled_index(config, workspace)
    try:
        files = _open_for_rebuild(config, workspace) if rebuild else open_graph_files(config, workspace)
        try:
            report = build_knowledge_graph(index.store, files, store_identity(config, workspace), extractor,
                                           index.embeddings, settings, callbacks)
        finally:
            files.close()
        report.rebuilt_because = "--rebuild" if rebuild else report.rebuilt_because
        return report
    finally:
        index.store.close()


def pending_chunks(config: StoreConfig, workspace: Path) -> list[Chunk]:
    """The store's chunks that the graph has not extracted yet (what a build would extract)."""
    index = _open_filled_index(config, workspace)
    try:
        files = open_graph_files(config, workspace)
        try:
            done = files.extracted_ids()
        finally:
            files.close()
        return index.store.get(sorted(set().union(*index.store.ids_by_source().values()) - done))
    finally:
        index.store.close()


def _open_filled_index(config: StoreConfig, workspace: Path) -> DocumentIndex:
    """The store's index; a ConfigError saying how to fill it when it is missing or empty."""
    from agentkit.rag.open import open_index

    if config.backend == "embedded" and not (config.folder(workspace) / "chunks.sqlite").exists():
        raise ConfigError(f"store {config.name!r} does not exist in {workspace}\n"
                          f"    fix: fill it first with `agentkit index PATH --store {config.name}`")
    index = open_index(config, workspace)
    if index.store.count() == 0:
        index.store.close()
        raise ConfigError(f"store {config.name!r} is empty: there is nothing to build a graph from\n"
                          f"    fix: `agentkit index PATH --store {config.name}`")
    return index


def _open_for_rebuild(config: StoreConfig, workspace: Path) -> GraphFiles:
    """The graph files emptied of extractions (the user's unmerges and cached name vectors
    stay); an unreadable database is set aside, not deleted."""
    try:
        files = open_graph_files(config, workspace)
    except ConfigError:
        set_aside_unreadable(graph_folder(config, workspace))
        files = open_graph_files(config, workspace)
    files.clear()
    return files


def find_entity(kg: KnowledgeGraph, name: str) -> str:
    """The entity node `name` (or one of its aliases) names; a ConfigError with close names otherwise."""
    key = normalize(name)
    if kg.graph.has_node(entity_node(key)):
        return entity_node(key)
    for merge in kg.merges:
        if merge.alias == key:
            return entity_node(merge.canonical)
    names = {data["name"]: node for node, data in kg.graph.nodes(data=True) if data.get("kind") == "entity"}
    close = get_close_matches(name, list(names), n=3, cutoff=0.6)
    hint = f"did you mean {', '.join(repr(c) for c in close)}?" if close else \
        f"list entities with `agentkit kg stats --store {kg.meta.store}`"
    raise ConfigError(f"no entity {name!r} in the graph of store {kg.meta.store!r}\n    fix: {hint}")


def set_kept_apart(config: StoreConfig, workspace: Path, alias: str, keep_apart: bool = True) -> tuple[str, str]:
    """Record that a merged name stays apart from the entity it was merged into (or, with
    `keep_apart=False`, may merge again); the (alias, canonical) keys. Applies at the next build."""
    from agentkit.graphrag.knowledge_graph import load_knowledge_graph

    key = normalize(alias)
    files = open_graph_files(config, workspace)
    try:
        if keep_apart:
            merged = {merge.alias: merge.canonical for merge in load_knowledge_graph(config, workspace).merges}
            if key not in merged:
                raise ConfigError(f"{alias!r} was not merged into another entity in store {config.name!r}\n"
                                  f"    fix: pick an alias from `agentkit kg merges --store {config.name}`")
            files.add_unmerged(key, merged[key])
            return key, merged[key]
        for a, b in files.unmerged():
            if a == key:
                files.remove_unmerged(a, b)
                return a, b
        raise ConfigError(f"{alias!r} is not kept apart from anything in store {config.name!r}\n"
                          f"    fix: see `agentkit kg merges --store {config.name}` (lines 'kept apart')")
    finally:
        files.close()

"""The knowledge graph as a derived index of a store: built from its chunks, updated
incrementally as `agentkit index` changes the store, the same after a crash, and never
read against the wrong store or extractor."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from agentkit.errors import ConfigError
from agentkit.graphrag.build import BuildSettings
from agentkit.graphrag.knowledge_graph import graph_folder, load_knowledge_graph
from agentkit.graphrag.lexical import LexicalExtractor
from agentkit.graphrag.types import chunk_node, entity_node
from agentkit.graphrag.workspace import set_kept_apart, update_store_graph
from agentkit.rag.chunks import Chunk, chunk_id
from agentkit.rag.config import StoreConfig
from agentkit.rag.open import open_index
from agentkit.rag.stores.embedded import EmbeddedStore

DOCS = {
    "orla.md": "# Orla Vance\n\nOrla Vance is a painter born in Kestrel Harbor. She studied at the "
               "Marwick Academy before moving to Port Alden.\n",
    "kestrel.md": "# Kestrel Harbor\n\nKestrel Harbor is a fishing town on the Grey Coast. The Saltmere "
                  "Lighthouse stands at its northern pier.\n",
    "marwick.md": "# Marwick Academy\n\nThe Marwick Academy is an art school in Port Alden, founded by "
                  "Tomas Reyne in 1921.\n",
}
STORE = StoreConfig(name="atlas")


def write_docs(workspace: Path, docs: dict[str, str]) -> None:
    folder = workspace / "notes"
    folder.mkdir(exist_ok=True)
    for path in folder.iterdir():
        if path.name not in docs:
            path.unlink()
    for name, text in docs.items():
        (folder / name).write_text(text, encoding="utf-8")
    index = open_index(STORE, workspace)
    try:
        index.index([folder], workspace)
    finally:
        index.store.close()


def build(workspace: Path, **options: object):
    return update_store_graph(STORE, workspace, LexicalExtractor(), **options)


def graph_content(workspace: Path) -> dict:
    """The derived graph without its build time (what must be identical across builds)."""
    kg = load_knowledge_graph(STORE, workspace)
    snapshot = kg.to_snapshot()
    for key in ("built", "seconds"):
        snapshot["meta"].pop(key)
    return snapshot


def test_build_links_entities_passages_and_titles(workspace: Path) -> None:
    write_docs(workspace, DOCS)
    report = build(workspace)
    assert report.extracted == 3 and report.derived
    kg = load_knowledge_graph(STORE, workspace)
    graph = kg.graph
    harbor = entity_node("kestrel harbor")
    assert graph.nodes[harbor]["kind"] == "entity" and len(graph.nodes[harbor]["chunk_ids"]) == 2
    # Orla's passage names the harbour's title: the two documents meet at that entity
    passages = {graph.nodes[n]["title"] for n in graph[harbor] if graph.nodes[n]["kind"] == "chunk"}
    assert passages == {"Orla Vance", "Kestrel Harbor"}
    relation = graph.edges[entity_node("orla vance"), harbor]
    assert relation["kind"] == "relation" and relation["chunk_ids"]
    assert all(graph.has_node(chunk_node(c)) for c in relation["chunk_ids"])
    assert kg.meta.chunks == 3 and kg.meta.entities == len(kg.entities()) and kg.meta.extractor == "lexical"


def test_a_second_build_of_an_unchanged_store_extracts_nothing(workspace: Path) -> None:
    write_docs(workspace, DOCS)
    build(workspace)
    before = (graph_folder(STORE, workspace) / "graph.json").stat().st_mtime_ns
    again = build(workspace)
    assert (again.extracted, again.deleted, again.unchanged, again.derived) == (0, 0, 3, False)
    assert (graph_folder(STORE, workspace) / "graph.json").stat().st_mtime_ns == before


def test_index_changes_reach_the_graph_and_only_changed_chunks_are_extracted(workspace: Path) -> None:
    write_docs(workspace, DOCS)
    build(workspace)
    changed = {**DOCS, "kestrel.md": DOCS["kestrel.md"].replace("Saltmere Lighthouse", "Brannock Tower")}
    del changed["marwick.md"]
    write_docs(workspace, changed)
    report = build(workspace)
    assert (report.extracted, report.deleted, report.unchanged) == (1, 2, 1)
    graph = load_knowledge_graph(STORE, workspace).graph
    assert graph.has_node(entity_node("brannock tower"))
    assert not graph.has_node(entity_node("saltmere lighthouse"))  # its only evidence changed
    assert not graph.has_node(entity_node("tomas reyne"))  # its document was deleted
    # named by Orla's passage too, so it keeps that evidence only
    assert len(graph.nodes[entity_node("marwick academy")]["chunk_ids"]) == 1
    incremental = graph_content(workspace)
    build(workspace, rebuild=True)
    assert graph_content(workspace) == incremental


def test_an_extractor_version_change_re_extracts_everything(workspace: Path) -> None:
    write_docs(workspace, DOCS)
    build(workspace)
    newer = LexicalExtractor()
    newer.version = f"{newer.version}-next"
    report = update_store_graph(STORE, workspace, newer)
    assert report.extracted == 3 and "made by lexical" in (report.rebuilt_because or "")
    assert report.meta is not None and report.meta.extractor_version == newer.version


def test_a_graph_is_not_read_against_another_store(workspace: Path) -> None:
    write_docs(workspace, DOCS)
    build(workspace)
    moved = StoreConfig(name="atlas", path="elsewhere")
    with pytest.raises(ConfigError, match="(?s)was built over embedded .*atlas, not embedded elsewhere.*fix: run `agentkit kg build --store atlas --rebuild`"):
        load_knowledge_graph(moved, workspace)


def test_unmerge_keeps_names_apart_and_undo_merges_them_again(workspace: Path) -> None:
    write_docs(workspace, {**DOCS, "grey.md": "# Grey Coast Survey\n\nThe survey of the GCS mapped "
                           "Kestrel Harbour and the Grey Coast in 1950.\n"})
    build(workspace)
    merges = {m.alias: m.canonical for m in load_knowledge_graph(STORE, workspace).merges}
    assert merges.get("kestrel harbour") == "kestrel harbor"
    assert set_kept_apart(STORE, workspace, "Kestrel Harbour") == ("kestrel harbour", "kestrel harbor")
    build(workspace)
    graph = load_knowledge_graph(STORE, workspace).graph
    assert graph.has_node(entity_node("kestrel harbour")) and graph.has_node(entity_node("kestrel harbor"))
    set_kept_apart(STORE, workspace, "Kestrel Harbour", keep_apart=False)
    build(workspace)
    assert not load_knowledge_graph(STORE, workspace).graph.has_node(entity_node("kestrel harbour"))


def test_a_corrupt_graph_file_is_rewritten_from_stored_extractions(workspace: Path) -> None:
    write_docs(workspace, DOCS)
    build(workspace)
    good = graph_content(workspace)
    (graph_folder(STORE, workspace) / "graph.json").write_text('{"meta": {', encoding="utf-8")
    with pytest.raises(ConfigError, match="(?s)graph.json is not a readable knowledge graph.*rewrite it from the stored"):
        load_knowledge_graph(STORE, workspace)
    report = build(workspace)
    assert report.extracted == 0 and report.derived
    assert graph_content(workspace) == good


def test_a_corrupt_database_is_set_aside_by_rebuild(workspace: Path) -> None:
    write_docs(workspace, DOCS)
    build(workspace)
    folder = graph_folder(STORE, workspace)
    for suffix in ("-wal", "-shm"):
        (folder / f"kg.sqlite{suffix}").unlink(missing_ok=True)
    (folder / "kg.sqlite").write_bytes(os.urandom(4096))
    with pytest.raises(ConfigError, match="(?s)kg.sqlite is not a readable knowledge graph.*--rebuild"):
        build(workspace)
    report = build(workspace, rebuild=True)
    assert report.extracted == 3 and (folder / "kg.sqlite.unreadable").exists()


def write_big_store(workspace: Path, name: str, documents: int) -> None:
    """A store of many short passages (unit vectors stand in for embeddings: no search here)."""
    rng = np.random.default_rng(0)
    places = ["Kestrel Harbor", "Port Alden", "Grey Coast", "Marwick Academy", "Saltmere", "Brannock"]
    chunks = []
    for i in range(documents):
        a, b = rng.choice(places, size=2, replace=False)
        text = f"Person {i} Quill was born in {a} and worked at {b} with Ada Corran {i % 17}."
        chunks.append(Chunk(id=chunk_id(f"d{i}", text), text=text, doc_id=f"d{i}", source="big.jsonl",
                            title=f"Quill {i}"))
    vectors = rng.normal(size=(documents, 384)).astype(np.float32)
    store = EmbeddedStore(StoreConfig(name=name).folder(workspace))
    store.upsert(chunks, vectors / np.linalg.norm(vectors, axis=1, keepdims=True))
    store.close()


def extracted_rows(database: Path) -> int:
    try:
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=1) as db:
            return int(db.execute("SELECT COUNT(*) FROM extractions").fetchone()[0])
    except sqlite3.Error:
        return 0


@pytest.mark.parametrize("kill_after_rows", [0, 200])
def test_killing_a_build_then_rerunning_equals_an_uninterrupted_build(workspace: Path, kill_after_rows: int) -> None:
    for name in ("crashed", "clean"):
        write_big_store(workspace, name, 1500)
    def command(store: str) -> list[str]:
        return [sys.executable, "-m", "agentkit", "kg", "build", "--store", store, "--batch-size", "20"]

    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    database = graph_folder(StoreConfig(name="crashed"), workspace) / "kg.sqlite"
    process = subprocess.Popen(command("crashed"), cwd=workspace, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 240
    while extracted_rows(database) <= kill_after_rows and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    assert process.poll() is None, "the build finished before it could be killed"
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert extracted_rows(database) < 1500

    for name in ("crashed", "clean"):
        done = subprocess.run(command(name), cwd=workspace, env=env, capture_output=True, text=True,
                              timeout=600)
        assert done.returncode == 0, done.stderr
    crashed, clean = (json.loads((graph_folder(StoreConfig(name=n), workspace) / "graph.json").read_text())
                      for n in ("crashed", "clean"))
    for snapshot in (crashed, clean):
        for key in ("built", "seconds", "store", "store_identity"):
            snapshot["meta"].pop(key)
    assert crashed == clean and crashed["meta"]["chunks"] == 1500


def test_a_graph_from_an_older_extractor_version_is_not_searched(workspace: Path) -> None:
    write_docs(workspace, DOCS)
    older = LexicalExtractor()
    older.version = "0"
    update_store_graph(STORE, workspace, older)
    with pytest.raises(ConfigError, match="(?s)built by extractor lexical v0; this agentkit's is v1.*"
                                          "fix: run `agentkit kg build --store atlas`"):
        load_knowledge_graph(STORE, workspace)
    assert build(workspace).extracted == 3
    assert load_knowledge_graph(STORE, workspace).meta.extractor_version == LexicalExtractor.version

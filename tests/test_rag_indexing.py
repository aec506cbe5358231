"""`agentkit index` with the real MiniLM embeddings: incremental runs, broken files, and
killing the indexer at any moment (the re-run must equal an uninterrupted run)."""

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
from typer.testing import CliRunner

from agentkit.cli.app import app
from agentkit.rag.config import StoreConfig
from agentkit.rag.open import open_index
from agentkit.rag.stores.embedded import EmbeddedStore

runner = CliRunner()
TOPICS = ["rockets", "bananas", "glaciers", "violins", "volcanoes", "honeybees", "lighthouses", "compilers"]


def index(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["index", *args])
    return result.exit_code, result.output


def stored(store: str, workspace: Path) -> dict[str, tuple[str, str, str, bytes]]:
    """id -> (source, text, metadata, vector) of every row, read straight from SQLite."""
    with sqlite3.connect(StoreConfig(name=store).folder(workspace) / "chunks.sqlite") as db:
        rows = db.execute("SELECT id, source, text, metadata, vector FROM chunks").fetchall()
    return {r[0]: tuple(r[1:]) for r in rows}


def test_reindexing_skips_unchanged_replaces_changed_deletes_removed(workspace: Path) -> None:
    docs = workspace / "docs"
    docs.mkdir()
    (docs / "rockets.md").write_text("# Rockets\n\nAriane rockets launch from Kourou in French Guiana.\n")
    (docs / "bees.txt").write_text("Honeybees dance to show where flowers are.\n")
    (docs / "cats.html").write_text("<html><title>Cats</title><body><p>Cats sleep all day.</p></body></html>")

    code, out = index("docs", "--store", "kb")
    assert code == 0, out
    assert "3 files (0 unchanged), 3 chunks added, 0 deleted, 3 in the store" in " ".join(out.split())
    first = stored("kb", workspace)

    code, out = index("docs", "--store", "kb")
    assert code == 0 and "3 files (3 unchanged), 0 chunks added, 0 deleted" in " ".join(out.split())
    assert stored("kb", workspace) == first

    (docs / "bees.txt").write_text("Honeybees dance to show where nectar is.\n")
    (docs / "cats.html").unlink()
    code, out = index("docs", "--store", "kb")
    assert code == 0 and "2 files (1 unchanged), 1 chunks added, 2 deleted, 2 in the store" in " ".join(out.split())
    now = stored("kb", workspace)
    assert {row[0] for row in now.values()} == {"docs/rockets.md", "docs/bees.txt"}
    assert any("nectar" in row[1] for row in now.values())

    hits = open_index(StoreConfig(name="kb"), workspace).search("where do rockets launch", k=1)
    assert hits[0].chunk.source == "docs/rockets.md"


def test_a_broken_file_is_reported_and_skipped_and_loses_nothing(workspace: Path) -> None:
    docs = workspace / "docs"
    docs.mkdir()
    (docs / "good.md").write_text("Glaciers carve valleys over thousands of years.\n")
    (docs / "paper.pdf").write_text("Violins are made of spruce and maple.\n")  # a .pdf that is not one
    code, out = index("docs", "--store", "kb")
    assert code == 1 and "skipped docs/paper.pdf: not a readable PDF" in " ".join(out.split())
    assert "Traceback" not in out
    assert [row[0] for row in stored("kb", workspace).values()] == ["docs/good.md"]

    (docs / "good.md").write_bytes(b"\xff\xfe not utf-8 \xff")  # the good file breaks later
    code, out = index("docs", "--store", "kb")
    assert code == 1 and "skipped docs/good.md: not UTF-8 text" in " ".join(out.split())
    assert [row[1] for row in stored("kb", workspace).values()] == ["Glaciers carve valleys over thousands of years."]


def test_bad_options_and_missing_paths_say_what_to_do(workspace: Path) -> None:
    code, out = index("nowhere", "--store", "kb")
    assert code == 1 and "skipped nowhere: does not exist" in out
    code, out = index("nowhere", "--chunk-size", "50", "--chunk-overlap", "60")
    assert code == 1 and "--chunk-overlap 60 must be smaller than --chunk-size 50" in out
    assert "Traceback" not in out


def write_corpus(path: Path, documents: int) -> None:
    rng = np.random.default_rng(7)
    with path.open("w") as out:
        for i in range(documents):
            words = rng.choice(TOPICS, size=12)
            text = f"Document {i} is about {' and '.join(words)}. It repeats {words[0]} for emphasis."
            out.write(json.dumps({"_id": f"d{i}", "title": f"Title {i}", "text": text}) + "\n")


def rows_in(database: Path) -> int:
    try:
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=1) as db:
            return int(db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0])
    except sqlite3.Error:
        return 0


@pytest.mark.parametrize("kill_after_rows", [0, 128])
def test_killing_the_indexer_then_rerunning_equals_an_uninterrupted_run(
    workspace: Path, kill_after_rows: int
) -> None:
    corpus = workspace / "corpus.jsonl"
    write_corpus(corpus, 600)
    command = [sys.executable, "-m", "agentkit", "index", "corpus.jsonl", "--store", "crashed", "--batch-size", "32"]
    database = StoreConfig(name="crashed").folder(workspace) / "chunks.sqlite"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    process = subprocess.Popen(command, cwd=workspace, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 240
    while rows_in(database) <= kill_after_rows and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert process.poll() is None, "the indexer finished before it could be killed"
    process.send_signal(signal.SIGKILL)
    process.wait()
    interrupted = rows_in(database)
    assert interrupted < 600

    resumed = subprocess.run(command, cwd=workspace, env=env, capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr
    assert f"{600 - interrupted} chunks added" in " ".join(resumed.stdout.split())
    code, out = index("corpus.jsonl", "--store", "clean", "--batch-size", "100")
    assert code == 0, out

    crashed, clean = stored("crashed", workspace), stored("clean", workspace)
    assert crashed.keys() == clean.keys() and len(crashed) == 600
    for chunk, (source, text, metadata, vector) in clean.items():
        assert crashed[chunk][:3] == (source, text, metadata)
        np.testing.assert_allclose(np.frombuffer(crashed[chunk][3], np.float32),
                                   np.frombuffer(vector, np.float32), atol=1e-5)
    folder = database.parent
    assert not list(folder.glob(".bm25-*"))
    a, b = EmbeddedStore(folder), EmbeddedStore(StoreConfig(name="clean").folder(workspace))
    for query in ("glaciers and violins", "honeybees emphasis", "Document 17"):
        assert [h.chunk.id for h in a.search(query, None, mode="bm25", k=10)] == \
               [h.chunk.id for h in b.search(query, None, mode="bm25", k=10)]


def test_a_langchain_loader_is_indexed_incrementally_from_the_cli(workspace: Path) -> None:
    rows = [("rockets", "Rockets burn fuel to climb to orbit."), ("violins", "Violins have four strings.")]
    csv = workspace / "facts.csv"
    csv.write_text("topic,fact\n" + "".join(f"{t},{f}\n" for t, f in rows), encoding="utf-8")
    loader = ["--loader", "langchain_community.document_loaders:CSVLoader", "--loader-arg", "file_path=facts.csv"]
    code, out = index(*loader, "--store", "csv")
    assert code == 0 and "1 files (0 unchanged), 2 chunks added" in out
    before = stored("csv", workspace)
    assert {row[0] for row in before.values()} == {"facts.csv"}
    code, out = index(*loader, "--store", "csv")
    assert code == 0 and "1 files (1 unchanged), 0 chunks added, 0 deleted, 2 in the store" in out
    csv.write_text("topic,fact\nrockets,Rockets burn fuel to climb to orbit.\nviolins,Violins have five strings.\n",
                   encoding="utf-8")
    code, out = index(*loader, "--store", "csv")
    assert code == 0 and "1 chunks added, 1 deleted, 2 in the store" in out
    hits = open_index(StoreConfig(name="csv"), workspace).search("how many strings does a violin have", k=1)
    assert hits[0].chunk.text == "topic: violins\nfact: Violins have five strings."
    assert hits[0].chunk.doc_id == "facts.csv#1" and hits[0].chunk.metadata["row"] == 1


def test_index_documents_takes_any_base_loader(workspace: Path) -> None:
    from langchain_community.document_loaders import TextLoader

    (workspace / "notes.txt").write_text("Lighthouses guide ships at night.", encoding="utf-8")
    docs_index = open_index(StoreConfig(name="notes"), workspace)
    report = docs_index.index_documents(TextLoader(str(workspace / "notes.txt")), workspace)
    assert (report.files, report.chunks_added, report.skipped) == (1, 1, [])
    hit = docs_index.search("what guides ships", k=1)[0]
    assert (hit.chunk.source, hit.chunk.doc_id) == ("notes.txt", "notes.txt")

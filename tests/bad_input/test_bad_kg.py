"""Bad input to `agentkit kg`: a missing or empty store, no graph yet, a corrupted graph,
an unknown entity, contradictory flags. One clear message naming the fix, exit 1, and
nothing else on disk changed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from harness import assert_clear_failure, run_cli, tree_digest

from agentkit.rag.config import StoreConfig
from agentkit.rag.stores.embedded import EmbeddedStore

NOTES = ("# Ada Lovelace\nAda Lovelace worked with Charles Babbage on the Analytical Engine in London. "
         "Charles Babbage designed the Difference Engine.\n")


@pytest.fixture(scope="module")
def built_once(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace with store `kb` (indexed and graphed by the CLI) and an empty store `void`."""
    folder = tmp_path_factory.mktemp("kg-bad")
    (folder / "notes.md").write_text(NOTES, encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AGENTKIT_WORKSPACE", str(folder))
        patch.chdir(folder)
        assert run_cli("index", "notes.md", "--store", "kb").exit_code == 0
        assert run_cli("kg", "build", "--store", "kb").exit_code == 0
    EmbeddedStore(StoreConfig(name="void").folder(folder)).close()  # a store with no chunks
    return folder


@pytest.fixture
def built(built_once: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh copy of the built workspace per test (a case may corrupt it)."""
    copy = tmp_path / "ws"
    shutil.copytree(built_once, copy)
    monkeypatch.setenv("AGENTKIT_WORKSPACE", str(copy))
    monkeypatch.chdir(copy)
    return copy


@pytest.mark.parametrize(("args", "fragments"), [
    (["kg", "build", "--store", "nowhere"], ["store 'nowhere' does not exist", "agentkit index PATH --store nowhere"]),
    (["kg", "build", "--store", "void"], ["store 'void' is empty", "agentkit index PATH --store void"]),
    (["kg", "build", "--store", ".."], ["is not a plain name"]),
    (["kg", "stats", "--store", "void"], ["store 'void' has no knowledge graph yet", "agentkit kg build --store void"]),
    (["kg", "show", "--store", "kb", "--entity", "Ada Lovelase"], ["no entity 'Ada Lovelase'", "did you mean 'Ada Lovelace'"]),
    (["kg", "show", "--store", "kb"], ["give --entity NAME, or --png/--html FILE"]),
    (["kg", "show", "--store", "kb", "--png", "a.png", "--html", "a.html"], ["give --png or --html, not both"]),
    (["kg", "unmerge", "Ada", "--store", "kb"], ["'Ada' was not merged into another entity", "agentkit kg merges --store kb"]),
    (["kg", "unmerge", "Ada", "--store", "kb", "--undo"], ["'Ada' is not kept apart from anything"]),
])
def test_bad_kg_commands_say_what_to_do(built: Path, args: list[str], fragments: list[str]) -> None:
    before = tree_digest(built)
    assert_clear_failure(run_cli(*args), 1, *fragments)
    assert tree_digest(built) == before


@pytest.mark.parametrize("damage", ["truncated", "not json", "wrong shape"])
def test_a_corrupted_graph_file_says_how_to_rewrite_it_and_loses_nothing(built: Path, damage: str) -> None:
    graph = built / ".agentkit" / "graphs" / "kb" / "graph.json"
    text = graph.read_text(encoding="utf-8")
    graph.write_text({"truncated": text[: len(text) // 2], "not json": "\x00garbage",
                      "wrong shape": '{"meta": {"store": "kb"}, "graph": []}'}[damage], encoding="utf-8")
    before = tree_digest(built)
    outcome = run_cli("kg", "stats", "--store", "kb")
    assert_clear_failure(outcome, 1, "graph.json", "agentkit kg build --store kb")
    assert tree_digest(built) == before
    rebuilt = run_cli("kg", "build", "--store", "kb")
    assert rebuilt.exit_code == 0 and "0 chunks extracted" in rebuilt.output
    assert run_cli("kg", "stats", "--store", "kb").exit_code == 0


def test_a_corrupted_database_is_set_aside_not_deleted_by_rebuild(built: Path) -> None:
    database = built / ".agentkit" / "graphs" / "kb" / "kg.sqlite"
    for suffix in ("-wal", "-shm"):
        database.with_name(database.name + suffix).unlink(missing_ok=True)
    database.write_bytes(b"SQLite format 3\x00" + b"\x13" * 1000)
    before = tree_digest(built)
    assert_clear_failure(run_cli("kg", "build", "--store", "kb"), 1, "kg.sqlite is not a readable knowledge graph",
                         "agentkit kg build --store kb --rebuild", "the store and its chunks are untouched")
    assert tree_digest(built) == before
    rebuilt = run_cli("kg", "build", "--store", "kb", "--rebuild")
    assert rebuilt.exit_code == 0, rebuilt.output
    assert database.with_name("kg.sqlite.unreadable").read_bytes().startswith(b"SQLite format 3")

"""Bad input to `agentkit index` and the retrieval eval: one clear sentence, exit 1, and
nothing written (no store folder for a refused name, no other store touched)."""

from __future__ import annotations

from pathlib import Path

import pytest
from harness import assert_clear_failure, run_cli, tree_digest

from agentkit.errors import ConfigError
from agentkit.rag.config import StoreConfig
from agentkit.rag.open import open_index

NOT_PLAIN = "is not a plain name: use letters, digits, '_', '.' or '-', starting with a letter, digit or '_'"


@pytest.fixture
def other_store(workspace: Path) -> Path:
    """A store folder a bad name must not touch (`bm25-*` like the derived index folders)."""
    folder = workspace / ".agentkit" / "stores" / "bm25-notes"
    folder.mkdir(parents=True)
    (folder / "keep.txt").write_text("mine", encoding="utf-8")
    (workspace / "notes.md").write_text("# Notes\nOtters hold hands while they sleep.\n", encoding="utf-8")
    return folder


@pytest.mark.parametrize(("args", "fragments"), [
    (["--store", "."], ["--store '.':", NOT_PLAIN]),
    (["--store", ".."], ["--store '..':", NOT_PLAIN]),
    (["--store", "a/b"], ["--store 'a/b':", NOT_PLAIN]),
    (["--store", ".hidden"], ["--store '.hidden':", NOT_PLAIN]),
    (["--store", ""], ["--store '':", NOT_PLAIN]),
    (["--chunk-size", "5"], ["--chunk-size 5: must be at least 16"]),
    (["--chunk-overlap", "-1"], ["--chunk-overlap -1: must be at least 0"]),
    (["--chunk-size", "50", "--chunk-overlap", "60"], ["--chunk-overlap 60 must be smaller than --chunk-size 50"]),
])
def test_bad_index_options_are_one_sentence(workspace: Path, other_store: Path, args: list[str],
                                            fragments: list[str]) -> None:
    before = tree_digest(workspace)
    outcome = run_cli("index", "notes.md", *args)
    assert_clear_failure(outcome, 1, *fragments)
    assert "pydantic" not in outcome.output and "validation error" not in outcome.output
    assert tree_digest(workspace) == before
    assert sorted(p.name for p in (workspace / ".agentkit" / "stores").iterdir()) == ["bm25-notes"]


@pytest.mark.parametrize(("name", "content"), [
    ("empty.txt", ""),
    ("blank.md", "\n   \n\n"),
    ("scripts.html", "<html><head><script>var x = 1;</script><style>p {}</style></head><body></body></html>"),
])
def test_a_file_without_text_is_reported_not_counted_unchanged(workspace: Path, name: str, content: str) -> None:
    (workspace / name).write_text(content, encoding="utf-8")
    outcome = run_cli("index", name, "--store", "kb")
    assert_clear_failure(outcome, 1, f"skipped {name}: no text in it", "0 files (0 unchanged)")
    assert not (workspace / ".agentkit" / "stores" / "kb").exists()  # no empty store left behind


def test_a_file_emptied_since_the_last_run_loses_its_chunks(workspace: Path) -> None:
    (workspace / "notes").mkdir()
    (workspace / "notes" / "a.md").write_text("Otters hold hands while they sleep.", encoding="utf-8")
    (workspace / "notes" / "b.md").write_text("Bees dance to show where flowers are.", encoding="utf-8")
    assert run_cli("index", "notes", "--store", "kb").exit_code == 0
    (workspace / "notes" / "a.md").write_text("", encoding="utf-8")
    outcome = run_cli("index", "notes", "--store", "kb")
    assert outcome.exit_code == 0, outcome.output
    assert "1 deleted" in " ".join(outcome.output.split())
    sources = {hit.chunk.source for hit in open_index(StoreConfig(name="kb"), workspace).search("otters", k=5)}
    assert sources == {"notes/b.md"}


def test_the_retrieval_eval_checks_store_names_the_same_way(workspace: Path) -> None:
    (workspace / "corpus.jsonl").write_text('{"_id": "d1", "title": "", "text": "otters sleep"}\n', encoding="utf-8")
    (workspace / "queries.jsonl").write_text('{"_id": "q1", "text": "otters"}\n', encoding="utf-8")
    (workspace / "qrels.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\t1\n", encoding="utf-8")
    before = tree_digest(workspace)
    outcome = run_cli("eval", "retrieval", "--corpus", "corpus.jsonl", "--queries", "queries.jsonl",
                      "--qrels", "qrels.tsv", "--mode", "bm25", "--store", "..")
    assert_clear_failure(outcome, 1, "--store '..':", NOT_PLAIN)
    assert tree_digest(workspace) == before and not (workspace / ".agentkit").exists()


@pytest.mark.parametrize(("args", "fragments"), [
    (["--loader", "no_such_module:Loader"], ["--loader 'no_such_module:Loader': cannot import no_such_module"]),
    (["--loader", "json:loads"], ["--loader 'json:loads': json.loads is not a LangChain BaseLoader class"]),
    (["--loader", "langchain_community.document_loaders:TextLoader", "--loader-arg", "file_path"],
     ["--loader-arg 'file_path': write KEY=VALUE"]),
    (["--loader", "langchain_community.document_loaders:TextLoader", "--loader-arg", "nope=1"],
     ["--loader 'langchain_community.document_loaders:TextLoader' could not be created", "nope"]),
    (["--loader", "langchain_community.document_loaders:TextLoader", "--loader-arg", "file_path=missing.txt"],
     ["--loader 'langchain_community.document_loaders:TextLoader' failed to load", "missing.txt"]),
    (["notes.md", "--loader", "langchain_community.document_loaders:TextLoader"],
     ["give files and folders or --loader, not both"]),
    ([], ["give files or folders to index, or --loader MODULE:CLASS"]),
])
def test_bad_loaders_say_what_to_fix(workspace: Path, other_store: Path, args: list[str], fragments: list[str]) -> None:
    before = tree_digest(workspace)
    assert_clear_failure(run_cli("index", *args, "--store", "kb"), 1, *fragments)
    assert tree_digest(workspace) == before


STORE_GRAPH = """\
name: g
input: question
output: documents
state: {question: str, documents: "list[document]"}
resources:
  kb: {kind: store, name: kb, path: "%s"}
nodes:
  find: {kind: retrieve, store: kb}
edges: [[START, find], [find, END]]
"""


@pytest.mark.parametrize("path", [".", ".agentkit", ".agentkit/stores", "./.agentkit/stores/", "data/.."])
def test_a_store_path_shared_with_other_stores_is_refused(workspace: Path, other_store: Path, path: str) -> None:
    (workspace / "g.yaml").write_text(STORE_GRAPH % path)
    before = tree_digest(workspace)
    assert_clear_failure(run_cli("graph", "validate", "g.yaml"), 2, "g.yaml:6: resources.kb.path",
                         f"store path '{path}' is a folder agentkit shares with other stores")
    assert_clear_failure(run_cli("run", "g.yaml", "-i", "otters", "--no-trace"), 2, "resources.kb.path")
    assert tree_digest(workspace) == before


def test_an_absolute_store_path_to_agentkit_state_is_refused_when_used(workspace: Path, other_store: Path) -> None:
    config = StoreConfig(name="kb", path=str(workspace / ".agentkit"))
    with pytest.raises(ConfigError, match="a folder agentkit shares with other stores"):
        config.folder(workspace)


def test_a_failed_index_into_an_existing_store_keeps_it(workspace: Path, other_store: Path) -> None:
    assert run_cli("index", "notes.md", "--store", "kb").exit_code == 0
    (workspace / "bad.jsonl").write_text('{"_id": "d1", "text": "fine"}\n{"_id": \n', encoding="utf-8")
    before = tree_digest(workspace)
    assert_clear_failure(run_cli("index", "bad.jsonl", "--store", "kb"), 1, "bad.jsonl:2")
    assert tree_digest(workspace) == before

"""Bad input to `graph_retrieve`: a global search without a model, `answer` outside global
mode, a store with no knowledge graph, and a corrupted graph file: a clear message naming
the fix, no traceback, and nothing on disk changed."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from harness import assert_clear_failure, run_cli, tree_digest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from test_graphrag_search import QUESTION, build_film_graph  # noqa: E402

GRAPH = """\
name: graph_search
input: question
output: context
state: {{question: str, documents: "list[document]", context: str, answer: str}}
resources:
  films: {{kind: store, name: films}}
  llm: {{kind: chat_model, max_tokens: 8}}
nodes:
  find: {{kind: graph_retrieve, store: films, {node}}}
edges: [[START, find], [find, END]]
"""


def data_files(workspace: Path) -> dict[str, str]:
    """The store's and the graph's files (SQLite's -wal/-shm bookkeeping left out: opening moves it)."""
    return {f"{folder}/{path}": digest for folder in ("graphs", "stores")
            for path, digest in tree_digest(workspace / ".agentkit" / folder).items()
            if not path.endswith(("-wal", "-shm"))}


@pytest.mark.parametrize(("node", "fragments"), [
    ("mode: global", ["nodes.find.llm", "global graph search needs a chat model resource",
                      "add `llm: <name>` or use mode local or hybrid"]),
    ("mode: local, answer: answer", ["nodes.find.answer", "`answer` is written by mode global only, not local",
                                     "remove `answer` or set `mode: global`"]),
    ("mode: nearby", ["nodes.find.mode", "'local', 'global' or 'hybrid'"]),
    ("mode: global, llm: films", ["nodes.find.llm", "films"]),
])
def test_graph_retrieve_mistakes_are_validation_errors(workspace: Path, node: str, fragments: list[str]) -> None:
    graph = workspace / "graph.yaml"
    graph.write_text(GRAPH.format(node=node))
    before = tree_digest(workspace)
    assert_clear_failure(run_cli("graph", "validate", str(graph)), 2, *fragments)
    assert tree_digest(workspace) == before


def test_a_store_without_a_graph_names_the_build_command(workspace: Path) -> None:
    graph = workspace / "graph.yaml"
    graph.write_text(GRAPH.format(node="mode: local"))
    assert_clear_failure(run_cli("run", str(graph), "-i", QUESTION, "--no-trace"), 1,
                         "store 'films' has no knowledge graph yet", "agentkit kg build --store films")
    assert not (workspace / ".agentkit" / "graphs").exists()  # a failed search writes no graph files


def test_a_corrupted_graph_file_names_the_rebuild_and_loses_nothing(workspace: Path) -> None:
    build_film_graph(workspace)
    snapshot = workspace / ".agentkit" / "graphs" / "films" / "graph.json"
    snapshot.write_text(snapshot.read_text(encoding="utf-8")[:200], encoding="utf-8")  # cut short
    graph = workspace / "graph.yaml"
    graph.write_text(GRAPH.format(node="mode: hybrid"))
    before = data_files(workspace)
    assert_clear_failure(run_cli("run", str(graph), "-i", QUESTION, "--no-trace"), 1,
                         "graph.json is not a readable knowledge graph", "agentkit kg build --store films")
    assert data_files(workspace) == before  # the extractions, the graph file and the store are as they were

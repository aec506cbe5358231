"""User text inside an error is printed as written: square brackets that look like rich
markup (`[/x]`, `[bold]`) neither crash the error printer nor vanish from the message;
JSON nested deeper than Python's parser can go is bad JSON with file:line, not a
RecursionError. Nothing on disk changes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from harness import assert_clear_failure, run_cli, tree_digest

GRAPH = """\
name: g
input: question
output: answer
state: {question: str, answer: str}
nodes:
  "[/x]": {kind: llm, template: "{question}", output: answer}
edges: [[START, "[/x]"], ["[/x]", END]]
"""
DEEP = "[" * 100_000 + "]" * 100_000


@pytest.mark.parametrize(("args", "code", "fragments"), [
    pytest.param(["index", "docs", "--store", "[/]"], 1, ["store name '[/]'"], id="store-closing-tag"),
    pytest.param(["index", "docs", "--store", "[bold]x"], 1, ["store name '[bold]x'"], id="store-opening-tag"),
    pytest.param(["graph", "validate", "graph.yaml"], 2, ["graph.yaml:", "[/x]"], id="node-name"),
    pytest.param(["graph", "validate", "graphs/[/x].yaml"], 2, ["graphs/[/x].yaml: graph file not found"],
                 id="file-name"),
    pytest.param(["prompts", "show", "[/x]"], 1, ["[/x]"], id="prompt-name"),
    pytest.param(["run", "graph.yaml", "-i", "hi", "--thread", " [/b]"], 1, ["[/b]"], id="thread-id"),
])
def test_markup_like_text_is_printed_as_written(workspace: Path, args: list[str], code: int,
                                               fragments: list[str]) -> None:
    (workspace / "docs").mkdir()
    (workspace / "docs" / "a.md").write_text("Some text.\n")
    (workspace / "graph.yaml").write_text(GRAPH)
    before = tree_digest(workspace)
    assert_clear_failure(run_cli(*args), code, *fragments)
    assert tree_digest(workspace) == before


def _beir(folder: Path, corpus: str) -> list[str]:
    folder.mkdir()
    (folder / "corpus.jsonl").write_text(corpus)
    (folder / "queries.jsonl").write_text(json.dumps({"_id": "q1", "text": "axolotls"}) + "\n")
    (folder / "qrels.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\t1\n")
    return ["--corpus", str(folder / "corpus.jsonl"), "--queries", str(folder / "queries.jsonl"),
            "--qrels", str(folder / "qrels.tsv"), "--mode", "bm25"]


def test_json_nested_too_deeply_is_bad_json_with_file_and_line(workspace: Path) -> None:
    good = json.dumps({"_id": "d1", "title": "", "text": "Axolotls regrow limbs."}) + "\n"
    retrieval = _beir(workspace / "beir", good + DEEP + "\n")
    (workspace / "qa.jsonl").write_text(DEEP + "\n")
    (workspace / "baseline.json").write_text(DEEP)
    (workspace / "g.yaml").write_text("kind: groundedness\ndata: qa.jsonl\n")
    (workspace / "docs").mkdir()
    (workspace / "docs" / "corpus.jsonl").write_text(DEEP + "\n")
    before = tree_digest(workspace)
    assert_clear_failure(run_cli("eval", "retrieval", *retrieval), 1,
                         f"{workspace / 'beir' / 'corpus.jsonl'}:2:", "nested too deeply")
    assert_clear_failure(run_cli("eval", "groundedness", "--data", "qa.jsonl", "--limit", "0"), 1,
                         "qa.jsonl:1:", "nested too deeply")
    assert_clear_failure(run_cli("eval", "run", "g.yaml", "--baseline", "baseline.json"), 1,
                         "baseline.json is not an eval result file")
    assert_clear_failure(run_cli("index", "docs", "--store", "deep"), 1, "corpus.jsonl:1:", "nested too deeply")
    assert tree_digest(workspace) == before  # no empty store left behind by the failed index

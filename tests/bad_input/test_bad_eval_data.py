"""Bad eval data: `agentkit eval retrieval` refuses a corpus with a repeated `_id` (two
documents merged under one id, both credited) and a query with empty text, naming the
file and line(s), before indexing anything; the data files stay as they were."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from harness import assert_clear_failure, run_cli, tree_digest

DOCS = [("d1", "Axolotls regrow lost limbs."), ("d2", "Tides follow the moon."),
        ("d3", "Coffee holds caffeine.")]
QUERIES = [("q1", "how do axolotls regrow limbs"), ("q2", "what makes tides")]


def write(folder: Path, docs: list[tuple[str, str]], queries: list[tuple[str, str]]) -> list[str]:
    folder.mkdir(parents=True)
    (folder / "corpus.jsonl").write_text(
        "".join(json.dumps({"_id": i, "title": "", "text": t}) + "\n" for i, t in docs), encoding="utf-8")
    (folder / "queries.jsonl").write_text(
        "".join(json.dumps({"_id": i, "text": t}) + "\n" for i, t in queries), encoding="utf-8")
    (folder / "qrels.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td2\t1\n", encoding="utf-8")
    return ["--corpus", str(folder / "corpus.jsonl"), "--queries", str(folder / "queries.jsonl"),
            "--qrels", str(folder / "qrels.tsv"), "--mode", "bm25"]


@pytest.mark.parametrize(("docs", "queries", "file", "line", "fragments"), [
    ([*DOCS, ("d2", "Another document under d2.")], QUERIES, "corpus.jsonl", 4,
     ["document id 'd2' repeats line 2", "give every document its own `_id`"]),
    ([("7", "a"), ("8", "b"), ("7", "c")], QUERIES, "corpus.jsonl", 3, ["document id '7' repeats line 1"]),
    (DOCS, [QUERIES[0], ("q2", "")], "queries.jsonl", 2,
     ["query 'q2' has an empty `text`", "write the query's text, or remove the line"]),
    (DOCS, [("q1", " \t "), QUERIES[1]], "queries.jsonl", 1, ["query 'q1' has an empty `text`"]),
])
def test_bad_retrieval_data(workspace: Path, docs: list[tuple[str, str]], queries: list[tuple[str, str]],
                            file: str, line: int, fragments: list[str]) -> None:
    args = write(workspace / "beir", docs, queries)
    before = tree_digest(workspace)
    outcome = run_cli("eval", "retrieval", *args)
    assert_clear_failure(outcome, 1, f"{workspace / 'beir' / file}:{line}:", *fragments)
    assert tree_digest(workspace) == before  # nothing indexed, nothing written


def test_groundedness_data_that_is_not_utf8_is_a_clear_error(workspace: Path) -> None:
    (workspace / "qa.jsonl").write_bytes('{"id": "caf\xe9"}\n'.encode("latin-1"))
    before = tree_digest(workspace)
    outcome = run_cli("eval", "groundedness", "--data", "qa.jsonl", "--limit", "0")
    assert_clear_failure(outcome, 1, "cannot read HaluEval QA data qa.jsonl", "fix: give a UTF-8 JSON Lines file")
    assert tree_digest(workspace) == before

"""Bad input for the multi-hop eval: `agentkit eval multihop` data, flags and suites.
Each fails with file:line (where there is one) and a fix, before any store is created or
model loaded, and leaves the workspace as it was (no store, no --json/--html file)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from harness import assert_clear_failure, run_cli, tree_digest

D1 = {"_id": "d1", "title": "The Glass Orchard", "text": "A film directed by Mireille Varga."}
D2 = {"_id": "d2", "title": "Mireille Varga", "text": "A director born in Kestrel Bay."}
Q1 = {"id": "q1", "question": "Where was the director of The Glass Orchard born?", "answers": ["Kestrel Bay"],
      "supporting_doc_ids": ["d1", "d2"]}


def lines(*rows: object) -> str:
    return "".join((row if isinstance(row, str) else json.dumps(row)) + "\n" for row in rows)


DATA_CASES = [
    pytest.param(lines(D1, "{not json", D2), lines(Q1), ["mh/documents.jsonl:2: not valid JSON",
                                                         "fix: each line must be one complete JSON object"],
                 id="document-not-json"),
    pytest.param(lines(D1, D2, {**D2, "text": "Another."}), lines(Q1),
                 ["mh/documents.jsonl:3: document id 'd2' repeats line 2", "give every document its own `_id`"],
                 id="repeated-document-id"),
    pytest.param(lines(D1, {"_id": "d2", "title": "Mireille Varga"}), lines(Q1),
                 ["mh/documents.jsonl:2: a document needs a string `_id`, a string `text`"], id="document-without-text"),
    pytest.param(lines(D1, {**D2, "text": "  "}), lines(Q1),
                 ["mh/documents.jsonl:2: document 'd2' has an empty `text`"], id="empty-document"),
    pytest.param("", lines(Q1), ["has no documents", "a multi-hop folder holds documents.jsonl"],
                 id="no-documents"),
    pytest.param(lines(D1, D2), lines(Q1, {**Q1, "question": "Who?"}),
                 ["mh/questions.jsonl:2: question id 'q1' repeats line 1"], id="repeated-question-id"),
    pytest.param(lines(D1, D2), lines({**Q1, "question": ""}),
                 ["mh/questions.jsonl:1: question 'q1' has an empty `question`"], id="empty-question"),
    pytest.param(lines(D1, D2), lines({k: v for k, v in Q1.items() if k != "supporting_doc_ids"}),
                 ["mh/questions.jsonl:1: question 'q1': `supporting_doc_ids` must be a non-empty list",
                  '"supporting_doc_ids": ["d1", "d2"]'], id="no-supporting-ids"),
    pytest.param(lines(D1, D2), lines({**Q1, "supporting_doc_ids": ["d1", "d9"]}),
                 ["mh/questions.jsonl:1: question 'q1': supporting document 'd9' is not in documents.jsonl",
                  "add the document to documents.jsonl or fix the id"], id="unknown-supporting-id"),
    pytest.param(lines(D1, D2), lines({**Q1, "answers": "Kestrel Bay"}),
                 ["mh/questions.jsonl:1: question 'q1': `answers` must be a non-empty list of strings"],
                 id="answers-not-a-list"),
    pytest.param(lines(D1, D2), lines({**Q1, "id": None}),
                 ["mh/questions.jsonl:1: a question needs a string `id` and a string `question`"], id="no-question-id"),
    pytest.param(lines(D1, D2), "", ["questions.jsonl has no questions"], id="no-questions"),
    pytest.param(lines(D1, D2), None, ["mh/questions.jsonl does not exist", "a multi-hop folder holds"],
                 id="questions-file-missing"),
]


@pytest.mark.parametrize("documents, questions, fragments", DATA_CASES)
def test_bad_multihop_data(workspace: Path, documents: str, questions: str | None, fragments: list[str]) -> None:
    folder = workspace / "mh"
    folder.mkdir()
    (folder / "documents.jsonl").write_text(documents, encoding="utf-8")
    if questions is not None:
        (folder / "questions.jsonl").write_text(questions, encoding="utf-8")
    before = tree_digest(workspace)
    outcome = run_cli("eval", "multihop", "--data", "mh", "--mode", "hybrid", "--json", "r.json", "--html", "r.html")
    assert_clear_failure(outcome, 1, *fragments)
    assert tree_digest(workspace) == before  # nothing indexed, nothing written


def write_good(workspace: Path) -> None:
    (workspace / "mh").mkdir()
    (workspace / "mh" / "documents.jsonl").write_text(lines(D1, D2), encoding="utf-8")
    (workspace / "mh" / "questions.jsonl").write_text(lines(Q1), encoding="utf-8")


@pytest.mark.parametrize("args, code, fragments", [
    pytest.param(["--data", "nowhere"], 1, ["data folder nowhere does not exist", "pass --data DIR"], id="no-folder"),
    pytest.param(["--data", "mh/documents.jsonl"], 1, ["data mh/documents.jsonl is not a folder"], id="file-as-folder"),
    pytest.param(["--data", "mh", "--mode", "bm25"], 1,
                 ["--mode 'bm25' is not a multi-hop search mode", "use one of hybrid, graph, graph+hybrid"],
                 id="unknown-mode"),
    pytest.param(["--data", "mh", "--store", "../elsewhere"], 1, ["--store '../elsewhere'", "is not a plain name"], id="bad-store-name"),
    pytest.param(["--data", "mh", "--extractor", "spacy"], 2, ["--extractor", "'spacy' is not one of"],
                 id="unknown-extractor"),
])
def test_bad_multihop_flags(workspace: Path, args: list[str], code: int, fragments: list[str]) -> None:
    write_good(workspace)
    before = tree_digest(workspace)
    outcome = run_cli("eval", "multihop", *args, "--json", "r.json")
    assert_clear_failure(outcome, code, *fragments)
    assert tree_digest(workspace) == before


@pytest.mark.parametrize("settings, fragments", [
    pytest.param("{modes: [hybrid, bm25]}", ["suite.yaml:3: settings.modes[1]:", "'hybrid', 'graph' or 'graph+hybrid'"],
                 id="mode-not-multihop"),
    pytest.param("{mode: hybrid}", ["suite.yaml:3: settings.mode: unknown key 'mode'", "did you mean 'modes'?"], id="unknown-setting"),
    pytest.param("{chunk_size: 50, chunk_overlap: 80}", ["multihop settings", "keep chunk_overlap below chunk_size"],
                 id="overlap-above-size"),
])
def test_bad_multihop_suite(workspace: Path, settings: str, fragments: list[str]) -> None:
    write_good(workspace)
    (workspace / "suite.yaml").write_text(f"kind: multihop\ndata: mh\nsettings: {settings}\n", encoding="utf-8")
    before = tree_digest(workspace)
    outcome = run_cli("eval", "run", "suite.yaml", "--json", "r.json")
    assert_clear_failure(outcome, 1, *fragments)
    assert tree_digest(workspace) == before

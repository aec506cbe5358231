"""`agentkit eval multihop`: metrics against hand-computed values, data loading, and the
shipped fictional fixture end to end through the CLI with the real local MiniLM
embeddings (and, with --answer, the real local chat model)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agentkit.cli.app import app
from agentkit.evals.multihop.loading import MultihopDataError, load_multihop
from agentkit.evals.multihop.metrics import (
    all_support, exact_match, normalize_answer, retrieval_scores, support_recall, token_f1,
)
from agentkit.evals.runner import check_suite
from agentkit.evals.suite import load_suite
from conftest import REPO

FIXTURE = REPO / "evals" / "data" / "multihop_fictional"

# -- metrics -------------------------------------------------------------------------


def test_support_recall_counts_distinct_documents_in_the_first_k() -> None:
    ranking = ["a", "x", "b", "y", "z", "c"]
    assert support_recall(ranking, ["a", "b"], 2) == 0.5
    assert support_recall(ranking, ["a", "b"], 5) == 1.0
    assert support_recall(ranking, ["a", "b", "c"], 5) == pytest.approx(2 / 3)
    assert support_recall(ranking, ["c"], 5) == 0.0  # the 6th document
    assert support_recall([], ["a"], 5) == 0.0
    assert support_recall(ranking, [], 5) == 0.0
    assert all_support(ranking, ["a", "b"]) == 1.0
    assert all_support(ranking, ["a", "c"]) == 0.0
    assert all_support(ranking, []) == 0.0
    assert retrieval_scores(ranking, ["x", "c"]) == {
        "recall_at_2": 0.5, "recall_at_5": 0.5, "all_support_at_5": 0.0}


def test_squad_normalisation_exact_match_and_f1() -> None:
    assert normalize_answer("The  River Amsel.") == "river amsel"
    assert normalize_answer("An apple, a day!") == "apple day"
    assert exact_match("the River Amsel", ["River Amsel", "Amsel"]) == 1.0
    assert exact_match("Amsel river", ["River Amsel"]) == 0.0
    # "river amsel in drenstow" vs "river amsel": precision 2/4, recall 2/2 -> F1 2/3
    assert token_f1("River Amsel in Drenstow", ["River Amsel"]) == pytest.approx(2 / 3)
    # the best reference counts: "amsel" vs "amsel" -> 1
    assert token_f1("Amsel", ["River Amsel", "Amsel"]) == 1.0
    assert token_f1("Lindholm", ["Kestrel Bay"]) == 0.0
    # yes/no only match exactly (HotpotQA's rule)
    assert token_f1("yes it is", ["yes"]) == 0.0 and token_f1("Yes.", ["yes"]) == 1.0
    assert token_f1("", ["cello"]) == 0.0


# -- loading -------------------------------------------------------------------------


def test_the_fixture_loads_with_every_supporting_document() -> None:
    data = load_multihop(FIXTURE)
    assert len(data.titles) == 30 and len(data.questions) == 8
    assert all(len(q.supporting) == 2 and q.answers for q in data.questions)
    first = data.questions[0]
    assert first.text == "In which city was the director of The Glass Orchard born?"
    assert [data.titles[d] for d in first.supporting] == ["The Glass Orchard", "Mireille Varga"]
    assert [q.id for q in load_multihop(FIXTURE, limit=3).questions] == ["q1", "q2", "q3"]


def write_data(folder: Path, docs: list[dict], questions: list[dict]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "documents.jsonl").write_text("".join(json.dumps(d) + "\n" for d in docs), encoding="utf-8")
    (folder / "questions.jsonl").write_text("".join(json.dumps(q) + "\n" for q in questions), encoding="utf-8")
    return folder


DOC = {"_id": "d1", "title": "A", "text": "Alpha."}
QUESTION = {"id": "q1", "question": "What?", "answers": ["a"], "supporting_doc_ids": ["d1"]}


@pytest.mark.parametrize(("docs", "questions", "file", "line", "message"), [
    ([DOC, {"_id": "d2", "text": ""}], [QUESTION], "documents.jsonl", 2, "document 'd2' has an empty `text`"),
    ([DOC, {"_id": ["x"], "text": "t"}], [QUESTION], "documents.jsonl", 2, "a document needs a string `_id`"),
    ([DOC], [QUESTION, {**QUESTION, "id": "q2", "supporting_doc_ids": ["d9"]}], "questions.jsonl", 2,
     "question 'q2': supporting document 'd9' is not in documents.jsonl"),
    ([DOC], [QUESTION, {**QUESTION, "answers": "a"}], "questions.jsonl", 2, "question id 'q1' repeats line 1"),
    ([DOC], [{**QUESTION, "answers": "a"}], "questions.jsonl", 1,
     "question 'q1': `answers` must be a non-empty list of strings"),
])
def test_malformed_data_names_file_and_line(tmp_path: Path, docs: list[dict], questions: list[dict],
                                            file: str, line: int, message: str) -> None:
    folder = write_data(tmp_path / "mh", docs, questions)
    with pytest.raises(MultihopDataError, match="fix: ") as error:
        load_multihop(folder)
    assert str(error.value).startswith(f"{folder / file}:{line}: {message}")


def test_shipped_suites_are_valid() -> None:
    for name in ("multihop_hotpotqa", "multihop_musique"):
        suite, source = load_suite(REPO / "evals" / f"{name}.yaml")
        kind, settings = check_suite(suite, source)
        assert kind.name == "multihop" and suite.data.startswith("../../shared/data/multihop_qa/")
        assert suite.metrics and getattr(settings, "modes")


# -- end to end ----------------------------------------------------------------------


def run_cli(*args: str) -> object:
    return CliRunner().invoke(app, ["eval", "multihop", "--data", str(FIXTURE), *args])


MODES = ["hybrid", "graph", "graph+hybrid"]


def test_every_mode_end_to_end_with_report(tmp_path: Path, model_cache: Path) -> None:
    out, html = tmp_path / "out" / "run.json", tmp_path / "out" / "run.html"
    result = run_cli("--json", str(out), "--html", str(html))  # default: all three modes
    assert result.exit_code == 0, result.output
    run = json.loads(out.read_text())
    assert run["kind"] == "multihop"
    config = run["config"]
    assert config["documents"] == 30 and config["questions"] == 8 and config["chunks"] == 30
    assert config["modes"] == MODES and Path(config["store_path"]).is_dir()
    assert config["extractor"] == "lexical" and config["graph_entities"] > 30
    assert config["graph_chunks_extracted"] == 30
    metrics = run["metrics"]
    assert list(dict.fromkeys(i["group"] for i in run["items"])) == MODES
    for mode in MODES:
        items = [i for i in run["items"] if i["group"] == mode]
        assert metrics[f"{mode}/n"] == 8
        assert [i["id"] for i in items] == [f"q{n}" for n in range(1, 9)]
        for item in items:  # per-question figures recomputed from what the item records
            ranking, gold = item["output"]["top_docs"], item["expected"]["supporting_doc_ids"]
            assert len(ranking) == len(set(ranking)) == 10
            assert {k: v for k, v in item["scores"].items() if k != "fallback"} == retrieval_scores(ranking, gold)
            assert item["latency_s"] > 0
        for name in ("recall_at_2", "recall_at_5", "all_support_at_5"):
            assert metrics[f"{mode}/{name}"] == pytest.approx(sum(i["scores"][name] for i in items) / 8)
        # the question names the first document: every mode puts it first
        assert all(i["output"]["top_docs"][0] == i["expected"]["supporting_doc_ids"][0] for i in items)
        assert 0 < metrics[f"{mode}/latency_p50_ms"] <= metrics[f"{mode}/latency_p95_ms"]
        assert run["directions"][f"{mode}/latency_p95_ms"] == "lower"
    # every question names an entity of the graph: no fallback to hybrid search
    assert metrics["graph/fallback_rate"] == 0.0 and "hybrid/fallback_rate" not in metrics
    items = {(i["group"], i["id"]): i for i in run["items"]}
    glass = items[("graph", "q1")]
    assert glass["output"]["top_titles"][0] == "The Glass Orchard"
    assert glass["expected"]["supporting_titles"] == ["The Glass Orchard", "Mireille Varga"]
    # the bridge: the film's page names its director, whose page the question never names;
    # PageRank from "The Glass Orchard" reaches it, word overlap ranks another director higher
    assert glass["output"]["top_titles"][1] == "Mireille Varga"
    assert items[("hybrid", "q1")]["output"]["top_titles"][1] == "Jonas Ferrell"
    page = html.read_text()
    assert "Support recall by k" in page and "Supporting documents by rank" in page
    assert page.count("<svg") == 3 and "In which city was the director of The Glass Orchard born?" in page
    # a re-run reuses the store and its graph: nothing embedded or extracted again
    again = run_cli("--mode", "graph", "--json", str(out))
    assert again.exit_code == 0, again.output
    assert "0 chunks added" in " ".join(again.output.split())
    assert json.loads(out.read_text())["config"]["graph_chunks_extracted"] == 0


def test_answers_from_the_local_model_are_scored(tmp_path: Path, model_cache: Path) -> None:
    out = tmp_path / "run.json"
    result = run_cli("--mode", "hybrid", "--limit", "2", "--answer", "--json", str(out))
    assert result.exit_code == 0, result.output
    run = json.loads(out.read_text())
    assert run["models"]["answers"].startswith("SmolLM2-135M") and "multihop_answer" in run["prompts"]
    assert run["timings"]["answers"] > 0
    for item in run["items"]:
        answer = item["output"]["answer"]
        assert isinstance(answer, str) and answer == answer.strip()
        assert item["scores"]["exact_match"] == exact_match(answer, item["expected"]["answers"])
        assert item["scores"]["f1"] == token_f1(answer, item["expected"]["answers"])
    assert run["metrics"]["hybrid/f1"] == pytest.approx(sum(i["scores"]["f1"] for i in run["items"]) / 2)

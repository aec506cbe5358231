"""Eval suites: the shipped suite files, `agentkit eval run` with thresholds and the
`--baseline` gate (groundedness checker and retrieval, on data the tests write)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agentkit.cli.app import app
from agentkit.evals.gate import compare, judge
from agentkit.evals.results import EvalResult
from agentkit.evals.runner import check_suite
from agentkit.evals.suite import Suite, load_suite, resolve_suite_paths
from conftest import REPO
from test_eval_groundedness import ITEMS
from test_eval_retrieval import write_beir

runner = CliRunner()


@pytest.mark.parametrize("name", ["bfcl", "retrieval_scifact", "groundedness"])
def test_shipped_suites_are_valid(name: str) -> None:
    suite, source = load_suite(REPO / "evals" / f"{name}.yaml")
    kind, settings = check_suite(suite, source)
    assert suite.name == name and kind.name == suite.kind
    assert suite.data_path().parts[-1] != "" and suite.data.startswith("../../shared/data/")
    assert suite.metrics and getattr(settings, "limit")


def write_suite(folder: Path, text: str) -> Path:
    path = folder / "suite.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def checker_suite(workspace: Path) -> Path:
    """A groundedness suite, checker only (no model), on two HaluEval-format items."""
    (workspace / "data").mkdir()
    (workspace / "data" / "qa.jsonl").write_text("".join(json.dumps(i) + "\n" for i in ITEMS))
    (workspace / "evals").mkdir()
    return write_suite(workspace / "evals", """\
kind: groundedness
data: ../data/qa.jsonl
settings: {limit: 0}
tolerance: 0.01
metrics:
  checker/auc_one_turn: {min: 0.9}
  checker/reference_passing: {}
""")


def test_run_writes_result_and_report_and_passes(checker_suite: Path, workspace: Path) -> None:
    result = runner.invoke(app, ["eval", "run", str(checker_suite), "--json", "out/r.json",
                                 "--html", "out/r.html"])
    assert result.exit_code == 0, result.output
    saved = EvalResult.load(workspace / "out" / "r.json")
    assert saved.suite == "suite" and saved.kind == "groundedness"
    assert saved.metrics["checker/auc_one_turn"] == 1.0
    assert set(saved.thresholds) == {"checker/auc_one_turn"} and not saved.failed_thresholds()
    assert saved.config["limit"] == 0 and saved.timings["checker"] >= 0
    assert [i.group for i in saved.items] == ["checker", "checker"]
    page = (workspace / "out" / "r.html").read_text()
    assert "<h1>groundedness eval: suite</h1>" in page and "Oberoi Group" in page


def test_baseline_gate(checker_suite: Path, workspace: Path) -> None:
    assert runner.invoke(app, ["eval", "run", str(checker_suite), "--json", "base.json"]).exit_code == 0
    same = runner.invoke(app, ["eval", "run", str(checker_suite), "--baseline", "base.json"])
    assert same.exit_code == 0, same.output
    assert "2 of 2 gated metric(s) held" in same.output
    better = json.loads((workspace / "base.json").read_text())
    better["metrics"]["checker/reference_passing"] = 1.5  # a baseline this run cannot match
    (workspace / "better.json").write_text(json.dumps(better))
    dropped = runner.invoke(app, ["eval", "run", str(checker_suite), "--baseline", "better.json"])
    assert dropped.exit_code == 3, dropped.output
    flat = " ".join(dropped.output.split())
    assert "regression gate: FAILED" in flat and "-0.5" in flat
    assert "gate failed on 1 metric(s): checker/reference_passing" in dropped.output


def test_threshold_failure_exits_3_after_writing(checker_suite: Path, workspace: Path) -> None:
    checker_suite.write_text(checker_suite.read_text().replace("{min: 0.9}", "{max: 0.5}"))
    result = runner.invoke(app, ["eval", "run", str(checker_suite), "--json", "r.json"])
    assert result.exit_code == 3, result.output
    assert "gate failed on 1 metric(s): checker/auc_one_turn" in result.output
    assert "threshold: above" in result.output
    assert EvalResult.load(workspace / "r.json").failed_thresholds() == {
        "checker/auc_one_turn": "above max 0.5"}


def test_a_graph_the_suite_sets_is_relative_to_the_suite_file(checker_suite: Path, workspace: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    checker_suite.write_text(checker_suite.read_text().replace("{limit: 0}", "{limit: 1, graph: ../g/nope.yaml}"))
    (workspace / "elsewhere").mkdir()
    monkeypatch.chdir(workspace / "elsewhere")
    result = runner.invoke(app, ["eval", "run", str(checker_suite)])
    assert result.exit_code == 1 and f"graph {workspace / 'g' / 'nope.yaml'}: no such file" in result.output
    shipped, _ = load_suite(REPO / "evals" / "groundedness.yaml")
    _, settings = check_suite(shipped)
    assert resolve_suite_paths(settings, shipped.base_dir).graph == str(REPO / "graphs" / "self_rag.yaml")


def test_data_and_limit_overrides(checker_suite: Path, workspace: Path) -> None:
    other = workspace / "other.jsonl"
    other.write_text(json.dumps(ITEMS[1]) + "\n")
    result = runner.invoke(app, ["eval", "run", str(checker_suite), "--data", str(other),
                                 "--limit", "0", "--json", "r.json"])
    assert result.exit_code == 0, result.output
    saved = EvalResult.load(workspace / "r.json")
    assert [i.id for i in saved.items] == ["q2"] and saved.config["data"] == str(other)


def test_retrieval_suite_with_baseline(workspace: Path, model_cache: Path) -> None:
    write_beir(workspace / "beir")
    suite = write_suite(workspace, """\
kind: retrieval
data: beir
settings: {qrels: qrels.tsv, split: train, modes: [bm25, hybrid]}
metrics:
  hybrid/ndcg_at_10: {min: 0.5}
  bm25/recall_at_10: {tolerance: 0.0}
""")
    first = runner.invoke(app, ["eval", "run", str(suite), "--json", "base.json"])
    assert first.exit_code == 0, first.output
    base = EvalResult.load(workspace / "base.json")
    assert base.metrics["hybrid/ndcg_at_10"] >= 0.5 and base.groups() == ["bm25", "hybrid"]
    again = runner.invoke(app, ["eval", "run", str(suite), "--baseline", "base.json",
                                "--html", "r.html"])
    assert again.exit_code == 0, again.output
    assert "2 of 2 gated metric(s) held" in again.output
    assert (workspace / "r.html").read_text().count("<svg") == 2


def test_compare_respects_direction_and_tolerance() -> None:
    suite = Suite(kind="retrieval", data=".", tolerance=0.05,
                  metrics={"bm25/ndcg_at_10": {}, "bm25/latency_p95_ms": {"tolerance": 10}})
    old = EvalResult(suite="s", kind="retrieval", metrics={"bm25/ndcg_at_10": 0.5, "bm25/latency_p95_ms": 100},
                     directions={"bm25/latency_p95_ms": "lower"})
    new = old.model_copy(update={"metrics": {"bm25/ndcg_at_10": 0.46, "bm25/latency_p95_ms": 111}})
    assert [(c.metric, c.status) for c in compare(new, old, suite)] == [
        ("bm25/ndcg_at_10", "ok"), ("bm25/latency_p95_ms", "regressed")]
    gone = old.model_copy(update={"metrics": {"bm25/ndcg_at_10": 0.6}, "directions": {}})
    assert [c.status for c in compare(gone, old, suite)] == ["improved", "missing"]


def test_a_metric_gated_by_tolerance_alone_is_not_missing_without_a_baseline() -> None:
    suite = Suite(kind="groundedness", data=".", metrics={"checker/auc": {"min": 0.6},
                                                          "answers/rate": {"tolerance": 0.1}})
    checker_only = EvalResult(suite="s", kind="groundedness", metrics={"checker/auc": 0.93})
    assert judge(checker_only, suite).passed
    assert judge(EvalResult(suite="s", kind="groundedness", metrics={}), suite).missing == ["checker/auc"]
    with_answers = checker_only.model_copy(update={"metrics": {"checker/auc": 0.93, "answers/rate": 0.5}})
    assert [c.status for c in judge(checker_only, suite, with_answers).changes] == ["ok", "missing"]

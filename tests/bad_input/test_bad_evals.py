"""Bad input for `agentkit eval run`: suite files, settings, metric names, baselines.

Each fails before any eval runs, names file:line:key where a suite file is at fault,
and writes nothing (no --json/--html output appears)."""

from __future__ import annotations

from pathlib import Path

import pytest
from harness import assert_clear_failure, run_cli, tree_digest

GOOD = "kind: groundedness\ndata: qa.jsonl\nsettings: {limit: 0}\n"

CASES = [
    pytest.param(None, [], 1, ["cannot read eval suite", "fix: pass a suite file"], id="missing-file"),
    pytest.param("kind: bfcl\ndata: [x\n", [], 1, ["suite.yaml:3", "malformed YAML"], id="bad-yaml"),
    pytest.param("- kind\n", [], 1, ["an eval suite must be a mapping"], id="not-a-mapping"),
    pytest.param(GOOD + "tolerence: 0.1\n", [], 1,
                 ["suite.yaml:4: tolerence: unknown key", "did you mean 'tolerance'"], id="unknown-key"),
    pytest.param("kind: bfcll\ndata: x\n", [], 1,
                 ["suite.yaml:1: kind:", "use one of bfcl, retrieval, groundedness"], id="unknown-kind"),
    pytest.param("kind: bfcl\n", [], 1, ["required key 'data' is missing"], id="no-data"),
    pytest.param(GOOD.replace("limit: 0", "limt: 0"), [], 1,
                 ["suite.yaml:3: settings.limt: unknown key", "did you mean 'limit'"], id="bad-setting"),
    pytest.param(GOOD.replace("limit: 0", "limit: -1"), [], 1,
                 ["settings.limit", "greater than or equal to 0"], id="bad-setting-value"),
    pytest.param(GOOD + "metrics:\n  checker/acu_one_turn: {min: 0.5}\n", [], 1,
                 ["suite.yaml:5: metrics.checker/acu_one_turn", "is not a groundedness metric",
                  "did you mean 'auc_one_turn'"], id="unknown-metric"),
    pytest.param(GOOD + "metrics:\n  checker/n: {tolerance: -1}\n", [], 1,
                 ["metrics.checker/n.tolerance", "greater than or equal to 0"], id="negative-tolerance"),
    pytest.param(GOOD, ["--baseline", "nope.json"], 1,
                 ["cannot read result file nope.json"], id="missing-baseline"),
    pytest.param(GOOD, ["--baseline", "suite.yaml"], 1,
                 ["suite.yaml is not an eval result file"], id="baseline-not-a-result"),
]


@pytest.mark.parametrize("suite, flags, code, fragments", CASES)
def test_bad_suite(workspace: Path, suite: str | None, flags: list[str], code: int,
                   fragments: list[str]) -> None:
    if suite is not None:
        (workspace / "suite.yaml").write_text(suite, encoding="utf-8")
    before = tree_digest(workspace)
    outcome = run_cli("eval", "run", "suite.yaml", "--json", "r.json", "--html", "r.html", *flags)
    assert_clear_failure(outcome, code, *fragments)
    assert tree_digest(workspace) == before


def test_limit_is_validated_like_the_suite_and_empty_data_never_passes(workspace: Path) -> None:
    (workspace / "bfcl.yaml").write_text("kind: bfcl\ndata: data\n")
    assert_clear_failure(run_cli("eval", "run", "bfcl.yaml", "--limit", "0"), 1, "--limit 0:",
                         "give a positive number")
    (workspace / "empty.jsonl").write_text("")
    (workspace / "g.yaml").write_text("kind: groundedness\ndata: empty.jsonl\nmetrics:\n"
                                      "  checker/auc_one_turn: {min: 0.6}\n")
    assert_clear_failure(run_cli("eval", "run", "g.yaml", "--limit", "0"), 1, "empty.jsonl: no items")


def test_a_baseline_of_another_kind_is_refused_before_the_run(workspace: Path) -> None:
    from agentkit.evals.results import EvalResult

    EvalResult(suite="tools", kind="bfcl", metrics={"accuracy": 0.5}).save(workspace / "bfcl.json")
    (workspace / "g.yaml").write_text("kind: groundedness\ndata: missing.jsonl\n")
    # the data file is missing, so only a check made before the run can say this
    assert_clear_failure(run_cli("eval", "run", "g.yaml", "--baseline", "bfcl.json"), 1,
                         "the baseline is a bfcl result, this run is groundedness")

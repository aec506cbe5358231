"""Bad input for the tone evaluator: `agentkit eval tone` data and flags, tone suites,
and `check_tone` nodes in graph files. Each fails before any model runs or with a clear
message, and writes nothing (no --json/--html output appears)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from harness import assert_clear_failure, run_cli, tree_digest

REPO = Path(__file__).resolve().parents[2]

HELD = json.dumps({"id": "paradetox_32", "toxic": "clinton is a loser , twice .", "neutral": ["Clinton lost twice."]})
OTHER = json.dumps({"id": "paradetox_0", "toxic": "he had steel balls too !", "neutral": ["he was brave too!"]})

DATA_CASES = [
    pytest.param(None, [], 1, ["cannot read tone data pairs.jsonl", "fix: give a ParaDetox-style .jsonl"],
                 id="missing-file"),
    pytest.param("", [], 1, ["tone data pairs.jsonl: no items"], id="empty-file"),
    pytest.param(HELD + "\n{not json\n", [], 1, ["pairs.jsonl:2: not valid JSON",
                                               '"toxic": "source text"'], id="bad-json-line"),
    pytest.param('{"id": "a", "neutral": []}\n', [], 1, ["pairs.jsonl:1: not a tone pair (toxic: Field required"],
                 id="missing-source"),
    pytest.param('{"id": "a", "toxic": ""}\n', [], 1, ["pairs.jsonl:1", "toxic: String should have at least 1"],
                 id="empty-source"),
    pytest.param(HELD + "\n" + HELD + "\n", [], 1, ["pairs.jsonl:2: id 'paradetox_32' repeats line 1"],
                 id="repeated-id"),
    pytest.param(OTHER + "\n", [], 1, ["no items to evaluate in the 'heldout' split", "--split all"],
                 id="empty-heldout-split"),
    pytest.param(HELD + "\n", ["--split", "train"], 1, ["settings.split", "'heldout' or 'all'"], id="bad-split"),
    pytest.param(HELD + "\n", ["-m", "copy", "-m", "copy"], 1, ["variant 'copy' is given twice"],
                 id="variant-twice"),
    pytest.param(HELD + "\n", ["-m", "copy", "-m", "./missing_adapter"], 1,
                 ["adapter folder", "missing_adapter", "does not exist"], id="missing-adapter-folder"),
    pytest.param(HELD + "\n", ["-m", "no_such_adapter"], 1,
                 ["adapter 'no_such_adapter' is not an adapter shipped with agentkit"], id="unknown-shipped-adapter"),
    pytest.param(HELD + "\n", ["--split", "all"], 1, ["no items to evaluate in the 'all' split"],
                 id="nothing-left-after-shots"),
    pytest.param(HELD.replace('["Clinton lost twice."]', "[]") + "\n", ["-m", "prompted"], 1,
                 ["no item outside the evaluated ones has a rewrite", "set shots to 0"], id="no-few-shot-example"),
]


@pytest.mark.parametrize("data, flags, code, fragments", DATA_CASES)
def test_bad_tone_data(workspace: Path, data: str | None, flags: list[str], code: int,
                       fragments: list[str]) -> None:
    if data is not None:
        (workspace / "pairs.jsonl").write_text(data, encoding="utf-8")
    before = tree_digest(workspace)
    outcome = run_cli("eval", "tone", "--data", "pairs.jsonl", *flags, "--json", "r.json", "--html", "r.html")
    assert_clear_failure(outcome, code, *fragments)
    assert tree_digest(workspace) == before


def test_bad_tone_suite_setting(workspace: Path) -> None:
    (workspace / "suite.yaml").write_text("kind: tone\ndata: pairs.jsonl\nsettings: {varients: [copy]}\n",
                                          encoding="utf-8")
    before = tree_digest(workspace)
    outcome = run_cli("eval", "run", "suite.yaml", "--json", "r.json")
    assert_clear_failure(outcome, 1, "suite.yaml:3: settings.varients: unknown key", "did you mean 'variants'")
    assert tree_digest(workspace) == before


GRAPH = """name: t
input: message
output: rewrite
state: {{message: str, rewrite: str, tone: dict}}
nodes:
  check: {{kind: check_tone, {params}}}
  again: {{kind: tool, tool: calculator, args: {{expression: "1+1"}}, output: rewrite}}
edges:
  - [START, check]
  - from: check
    routes: {{pass: END, fail: again}}
  - [again, END]
"""

GRAPH_CASES = [
    pytest.param("source: message, rewrite: message", ["nodes.check.rewrite", "always a copy",
                                                       "point `rewrite:` at the channel"], id="rewrite-is-source"),
    pytest.param("source: message, rewrite: rewrite, min_style: null, min_meaning: null, min_fluency: null",
                 ["no threshold is set", "set at least one of min_style"], id="no-threshold"),
    pytest.param("source: message, rewrite: rewrite, min_style: 1.5", ["min_style", "less than or equal to 1"],
                 id="threshold-out-of-range"),
    pytest.param("source: message, rewrite: rewrite, scores: scores", ["scores", "'scores'"],
                 id="undeclared-scores-channel"),
]


@pytest.mark.parametrize("params, fragments", GRAPH_CASES)
def test_bad_check_tone_node(workspace: Path, params: str, fragments: list[str]) -> None:
    (workspace / "tools").mkdir()
    shutil.copy(REPO / "tools/calculator.py", workspace / "tools")
    (workspace / "graph.yaml").write_text(GRAPH.format(params=params), encoding="utf-8")
    outcome = run_cli("graph", "validate", "graph.yaml")
    assert_clear_failure(outcome, 2, "graph.yaml:6", *fragments)
    assert "1 problem" in outcome.output

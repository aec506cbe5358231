"""`agentkit eval bfcl` end to end on the real local model (SmolLM2-135M-Instruct)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agentkit.cli.app import app

pytestmark = pytest.mark.model

FIXTURE = Path(__file__).parent / "data" / "bfcl"
ITEM_KEYS = {"id", "category", "calls", "invalid_calls", "text", "valid", "correct", "error",
             "latency_s"}


def run(tmp_path: Path, *flags: str) -> dict[str, object]:
    """One item each of simple_python and irrelevance; replies cut at 24 tokens (a call
    to math_factorial takes about 20) to keep the test short."""
    out = tmp_path / f"run{len(list(tmp_path.glob('*.json')))}.json"
    result = CliRunner().invoke(app, [
        "eval", "bfcl", "--data", str(FIXTURE), "-c", "simple_python", "-c", "irrelevance",
        "--limit", "1", "--max-tokens", "24", "--json", str(out), *flags])
    assert result.exit_code == 0, result.output
    assert "BFCL · SmolLM2-135M-Instruct" in result.output
    return json.loads(out.read_text())


def check_structure(run: dict[str, object], constrained: bool) -> None:
    assert run["benchmark"] == "bfcl" and run["constrained"] is constrained
    assert run["limit"] == 1 and run["model"].startswith("SmolLM2-135M-Instruct")
    categories = run["categories"]
    assert [c["category"] for c in categories] == ["simple_python", "irrelevance"]
    for score in [*categories, run["overall"]]:
        assert score["n"] == (2 if score is run["overall"] else 1)
        assert 0 <= score["valid_rate"] <= 1 and 0 <= score["accuracy"] <= 1
        assert score["mean_latency_s"] > 0
    assert [i["id"] for i in run["items"]] == ["simple_python_1", "irrelevance_8"]
    for item in run["items"]:
        assert set(item) == ITEM_KEYS
        assert not (item["error"] or "").startswith("model error"), item["error"]
        assert item["correct"] == (item["error"] is None or not item["valid"])
        for call in item["calls"]:
            assert set(call) == {"name", "args"}


def test_constrained_and_free_runs_then_a_report(model_cache: Path, tmp_path: Path) -> None:
    constrained = run(tmp_path)
    check_structure(constrained, constrained=True)
    assert constrained["overall"]["valid_rate"] == 1.0  # the grammar only allows valid calls
    for item in constrained["items"]:
        assert all(call["name"] == "math.factorial" for call in item["calls"]
                   if item["category"] == "simple_python")
    free = run(tmp_path, "--no-constrain")
    check_structure(free, constrained=False)
    result = CliRunner().invoke(app, ["eval", "report", str(tmp_path / "run0.json"),
                                      str(tmp_path / "run1.json"), "--html",
                                      str(tmp_path / "report.html")])
    assert result.exit_code == 0, result.output
    page = (tmp_path / "report.html").read_text()
    assert "constrained vs unconstrained" in page and "<svg" in page

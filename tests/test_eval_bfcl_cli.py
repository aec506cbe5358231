"""`agentkit eval bfcl` end to end on the real local model (SmolLM2-135M-Instruct)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agentkit.cli.app import app

pytestmark = pytest.mark.model

FIXTURE = Path(__file__).parent / "data" / "bfcl"
ITEM_KEYS = {"id", "group", "input", "output", "expected", "scores", "error", "latency_s"}


def run(tmp_path: Path, *flags: str) -> dict[str, object]:
    """One item each of simple_python and irrelevance; replies cut at 24 tokens (a call
    to math_factorial takes about 20) to keep the test short."""
    out = tmp_path / f"run{len(list(tmp_path.glob('*.json')))}.json"
    result = CliRunner().invoke(app, [
        "eval", "bfcl", "--data", str(FIXTURE), "-c", "simple_python", "-c", "irrelevance",
        "--limit", "1", "--max-tokens", "24", "--json", str(out), *flags])
    assert result.exit_code == 0, result.output
    assert "chat: SmolLM2-135M-Instruct" in " ".join(result.output.split())
    return json.loads(out.read_text())


def check_structure(run: dict[str, object], constrained: bool) -> None:
    assert run["format"] == "agentkit.eval/1" and run["kind"] == "bfcl"
    assert run["config"]["constrain"] is constrained and run["config"]["limit"] == 1
    assert run["models"]["chat"].startswith("SmolLM2-135M-Instruct")
    metrics = run["metrics"]
    for prefix in ("simple_python/", "irrelevance/", ""):
        assert metrics[f"{prefix}n"] == (2 if not prefix else 1)
        assert 0 <= metrics[f"{prefix}valid_rate"] <= 1 and 0 <= metrics[f"{prefix}accuracy"] <= 1
        assert metrics[f"{prefix}mean_latency_s"] > 0
    assert run["directions"] == {name: "lower" for name in metrics if name.endswith("latency_s")}
    assert [i["id"] for i in run["items"]] == ["simple_python_1", "irrelevance_8"]
    for item in run["items"]:
        assert set(item) == ITEM_KEYS
        assert not (item["error"] or "").startswith("model error"), item["error"]
        assert item["input"]["messages"][0]["role"] == "user"
        correct = item["scores"]["correct"] == 1.0
        assert correct == (item["error"] is None or item["scores"]["valid"] == 0.0)
        for call in item["output"]["calls"]:
            assert set(call) == {"name", "args"}


def test_constrained_and_free_runs_then_a_report(model_cache: Path, tmp_path: Path) -> None:
    constrained = run(tmp_path)
    check_structure(constrained, constrained=True)
    assert constrained["metrics"]["valid_rate"] == 1.0  # the grammar only allows valid calls
    for item in constrained["items"]:
        assert all(call["name"] == "math.factorial" for call in item["output"]["calls"]
                   if item["group"] == "simple_python")
    free = run(tmp_path, "--no-constrain")
    check_structure(free, constrained=False)
    result = CliRunner().invoke(app, ["eval", "report", str(tmp_path / "run0.json"),
                                      str(tmp_path / "run1.json"), "--html",
                                      str(tmp_path / "report.html")])
    assert result.exit_code == 0, result.output
    page = (tmp_path / "report.html").read_text()
    assert "constrain=True" in page and "constrain=False" in page and page.count("<svg") == 2

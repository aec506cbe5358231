"""`agentkit eval tone` end to end with the real local model: base, a real (tiny) LoRA
adapter and the copy baseline on 3 items, written as the common JSON result and the
tone HTML report."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from agentkit.cli.app import app
from agentkit.evals.results import EvalResult
from agentkit.tone import ToneScorer, load_pairs
from conftest import REPO
from tiny_adapters import make_adapter

FIXTURE = REPO / "tests/data/tone/pairs.jsonl"


@pytest.mark.model
def test_eval_tone_runs_variants_and_writes_json_and_html(workspace: Path) -> None:
    make_adapter(workspace / "tiny", seed=3)
    result = CliRunner().invoke(app, [
        "eval", "tone", "--data", str(FIXTURE), "--split", "all", "--limit", "3", "--shots", "2",
        "-m", "base", "-m", "./tiny", "-m", "copy", "--max-tokens", "24",
        "--json", "out/tone.json", "--html", "out/tone.html"])
    assert result.exit_code == 0, result.output
    run = EvalResult.load(workspace / "out/tone.json")
    assert run.kind == "tone" and run.groups() == ["base", "tiny", "copy"]
    assert run.config["examples"] == ["paradetox_32", "paradetox_59"]
    evaluated = load_pairs(FIXTURE)[2:5]
    for group in run.groups():
        items = [i for i in run.items if i.group == group]
        assert [i.id for i in items] == [i.id for i in evaluated]
        assert all(i.output["rewrite"].strip() for i in items)
        for name in ("joint", "style", "meaning", "meaning_ref", "fluency", "politeness", "formality"):
            assert 0.0 <= run.metrics[f"{group}/{name}"] <= 1.0
    base = [i.output["rewrite"] for i in run.items if i.group == "base"]
    tiny = [i.output["rewrite"] for i in run.items if i.group == "tiny"]
    assert base != tiny  # the adapter answered, not the base
    assert run.metrics["copy/meaning"] == pytest.approx(1.0, abs=1e-4)
    # the copy baseline, scored after the adapter ran, is scored by the base weights
    fresh = ToneScorer().score([i.toxic for i in evaluated], [i.toxic for i in evaluated])
    copied = [i for i in run.items if i.group == "copy"]
    assert [i.scores["fluency"] for i in copied] == pytest.approx([s.fluency for s in fresh], abs=1e-4)
    page = (workspace / "out/tone.html").read_text(encoding="utf-8")
    assert page.count("<svg") >= 2 and "Example rewrites" in page
    assert evaluated[0].toxic in page and base[0].split("\n")[0][:30] in page.replace("&#x27;", "'")

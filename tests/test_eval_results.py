"""The common eval result format: round trip, thresholds, clear load errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentkit.errors import ConfigError
from agentkit.evals.results import EvalResult, ItemRecord, Threshold


def _result() -> EvalResult:
    return EvalResult(
        suite="bfcl", kind="bfcl", config={"data": "tests/data/bfcl"},
        models={"chat": "SmolLM2-135M-Instruct"}, timings={"run": 1.5},
        metrics={"accuracy": 0.5, "mean_latency_s": 0.75},
        directions={"mean_latency_s": "lower"},
        thresholds={"accuracy": Threshold(min=0.6), "mean_latency_s": Threshold(max=1.0)},
        items=[ItemRecord(id="a", group="simple", scores={"correct": 1.0}, latency_s=0.5),
               ItemRecord(id="b", group="multiple", scores={"correct": 0.0}, latency_s=1.0,
                          error="wrong function")],
    )


def test_round_trip(tmp_path: Path) -> None:
    result = _result()
    result.save(tmp_path / "out" / "r.json")
    loaded = EvalResult.load(tmp_path / "out" / "r.json")
    assert loaded == result
    assert loaded.groups() == ["simple", "multiple"]
    assert loaded.direction("mean_latency_s") == "lower"
    assert loaded.direction("accuracy") == "higher"


def test_failed_thresholds() -> None:
    assert _result().failed_thresholds() == {"accuracy": "below min 0.6"}


def test_threshold_on_unknown_metric_is_rejected() -> None:
    with pytest.raises(ValueError, match="'recall' has a direction or threshold"):
        EvalResult(suite="s", kind="k", metrics={}, thresholds={"recall": Threshold(min=0.1)})


@pytest.mark.parametrize("content, fragment", [
    (None, "cannot read result file"),
    ("{not json", "is not an eval result file"),
    ('{"benchmark": "bfcl", "model": "m"}', "is not an eval result file"),
])
def test_load_errors_are_clear(tmp_path: Path, content: str | None, fragment: str) -> None:
    path = tmp_path / "r.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(ConfigError, match=fragment) as info:
        EvalResult.load(path)
    assert "fix:" in str(info.value)

"""The regression gate: thresholds of the suite, and drops from a baseline result
beyond each metric's tolerance."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from agentkit.errors import ConfigError
from agentkit.evals.results import EvalResult
from agentkit.evals.suite import Suite

Status = Literal["ok", "improved", "regressed", "missing"]


class Change(BaseModel):
    """One gated metric against the baseline."""

    metric: str
    baseline: float | None
    current: float | None
    tolerance: float
    direction: Literal["higher", "lower"]
    status: Status

    @property
    def delta(self) -> float | None:
        """current - baseline (None when either is missing)."""
        return None if self.current is None or self.baseline is None else self.current - self.baseline


class Verdict(BaseModel):
    """What the gate found: out-of-threshold metrics, gated metrics the run lacks, and
    the baseline comparison (empty without a baseline)."""

    failed_thresholds: dict[str, str]
    missing: list[str]
    changes: list[Change]

    @property
    def regressions(self) -> list[Change]:
        """The changes that fail the gate."""
        return [c for c in self.changes if c.status in ("regressed", "missing")]

    @property
    def passed(self) -> bool:
        """Whether the run passes every threshold and has not regressed."""
        return not (self.failed_thresholds or self.missing or self.regressions)


def gated_metrics(suite: Suite, result: EvalResult, baseline: EvalResult | None) -> list[str]:
    """The suite's listed metrics; without a list, every metric of the baseline."""
    if suite.metrics:
        return list(suite.metrics)
    return list(baseline.metrics) if baseline else list(result.metrics)


def check_baseline(baseline: EvalResult, kind: str) -> None:
    """Refuse a baseline of another eval kind (checked before a run, so it costs no time)."""
    if baseline.kind != kind:
        raise ConfigError(f"the baseline is a {baseline.kind} result, this run is {kind}\n"
                          "    fix: pass a --baseline written by the same suite")


def compare(result: EvalResult, baseline: EvalResult, suite: Suite) -> list[Change]:
    """Each gated metric against the baseline, with the suite's tolerance."""
    check_baseline(baseline, result.kind)
    changes = []
    for name in gated_metrics(suite, result, baseline):
        if name not in baseline.metrics:
            continue
        old, new, tolerance = baseline.metrics[name], result.metrics.get(name), suite.tolerance_of(name)
        direction = result.direction(name) if name in result.metrics else baseline.direction(name)
        if new is None:
            status: Status = "missing"
        else:
            gain = new - old if direction == "higher" else old - new
            status = "regressed" if gain < -tolerance - 1e-12 else "improved" if gain > 0 else "ok"
        changes.append(Change(metric=name, baseline=old, current=new, tolerance=tolerance,
                              direction=direction, status=status))
    return changes


def judge(result: EvalResult, suite: Suite, baseline: EvalResult | None = None) -> Verdict:
    """Thresholds (a metric with a min or max that the run lacks fails) and, with a
    baseline, regressions; a metric gated by tolerance alone needs a baseline to compare."""
    missing = [name for name, rule in suite.metrics.items()
               if name not in result.metrics and rule.threshold() is not None]
    return Verdict(failed_thresholds=result.failed_thresholds(), missing=missing,
                   changes=compare(result, baseline, suite) if baseline else [])

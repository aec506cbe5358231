"""Console tables of eval results and of the gate's verdict (rich)."""

from __future__ import annotations

from rich.table import Table

from agentkit.evals.gate import Verdict
from agentkit.evals.html import ALL, split_metric
from agentkit.evals.results import EvalResult

WIDE = 7  # more metric columns than this: one row per metric instead


def metrics_table(result: EvalResult) -> Table:
    """Groups as rows and metrics as columns (or one row per metric when there are many)."""
    title = f"{result.suite} ({result.kind})" + "".join(f", {k}: {v}" for k, v in result.models.items())
    groups = list(dict.fromkeys(split_metric(n)[0] for n in result.metrics))
    bases = list(dict.fromkeys(split_metric(n)[1] for n in result.metrics))
    failed = result.failed_thresholds()
    if len(bases) > WIDE:
        table = Table(title=title)
        table.add_column("metric")
        table.add_column("value", justify="right")
        for name, value in result.metrics.items():
            table.add_row(name, _cell(value, name in failed))
        return table
    table = Table(title=title)
    table.add_column("group", no_wrap=True)
    for base in bases:
        table.add_column(base.replace("_", " "), justify="right", overflow="fold")
    for group in [g for g in groups if g != ALL] + ([ALL] if ALL in groups else []):
        names = [base if group == ALL else f"{group}/{base}" for base in bases]
        table.add_row(group, *(_cell(result.metrics[n], n in failed) if n in result.metrics else ""
                               for n in names))
    return table


def verdict_table(verdict: Verdict) -> Table | None:
    """What failed the gate (None when it passed)."""
    if verdict.passed:
        return None
    table = Table(title="regression gate: FAILED")
    for column in ("metric", "baseline", "current", "change", "allowed", "why"):
        table.add_column(column, justify="left" if column in ("metric", "why") else "right")
    for change in verdict.regressions:
        table.add_row(change.metric, _num(change.baseline), _num(change.current),
                      _num(change.delta, signed=True),
                      f"{'-' if change.direction == 'higher' else '+'}{change.tolerance:g}",
                      "dropped past its tolerance" if change.status == "regressed" else "missing in this run")
    for name, why in verdict.failed_thresholds.items():
        table.add_row(name, "", "", "", "", f"threshold: {why}")
    for name in verdict.missing:
        table.add_row(name, "", "", "", "", "the suite gates it but the run has no such metric")
    return table


def _cell(value: float, bad: bool) -> str:
    text = f"{value:.4g}"
    return f"[bold red]{text}[/]" if bad else text


def _num(value: float | None, signed: bool = False) -> str:
    return "" if value is None else f"{value:+.4g}" if signed else f"{value:.4g}"

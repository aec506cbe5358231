"""`agentkit eval run evals/NAME.yaml`: run a suite, report it, gate it. The front ends
(`eval bfcl|retrieval|groundedness`) share `report_and_gate` and `RichProgress`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn,
    TimeRemainingColumn,
)

from agentkit.cli.errors import friendly_errors
from agentkit.evals.results import EvalResult
from agentkit.evals.suite import Suite

EXIT_GATE = 3  # the run finished but failed a threshold or regressed from the baseline
console = Console()
progress_console = Console(stderr=True)


class RichProgress:
    """Progress bars on stderr; log lines stay above them (readable in CI logs too)."""

    def __init__(self) -> None:
        self.bars = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                             TextColumn("{task.fields[note]}"), TimeElapsedColumn(),
                             TimeRemainingColumn(), console=progress_console, transient=True)
        self.tasks: dict[str, TaskID] = {}

    def __enter__(self) -> RichProgress:
        self.bars.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bars.stop()

    def start(self, task: str, total: int | None) -> None:
        """A new bar (an earlier bar of the same name is replaced)."""
        if task in self.tasks:
            self.bars.remove_task(self.tasks[task])
        self.tasks[task] = self.bars.add_task(task, total=total, note="")

    def advance(self, task: str, steps: int = 1, note: str = "") -> None:
        """Move `task` on."""
        self.bars.update(self.tasks[task], advance=steps, note=note)

    def log(self, line: str) -> None:
        """Print a line above the bars."""
        self.bars.console.print(line, highlight=False, markup=False)


def report_and_gate(
    result: EvalResult, suite: Suite, *, json_out: Path | None = None, html_out: Path | None = None,
    reference: EvalResult | None = None, phoenix: bool = False, earlier: list[EvalResult] | None = None,
) -> None:
    """Print the figures, write --json/--html, upload to Phoenix, then gate against the
    suite's thresholds and `reference` (the baseline): exit 3 on failure."""
    from agentkit.evals.gate import judge
    from agentkit.evals.tables import metrics_table, verdict_table

    console.print(metrics_table(result))
    if json_out is not None:
        result.save(json_out)
        console.print(f"wrote {json_out}", highlight=False)
    if html_out is not None:
        from agentkit.evals.html import write_html
        from agentkit.evals.kinds import eval_kind

        before = [*(earlier or []), *([reference] if reference else [])]
        if writer := eval_kind(result.kind).html:
            writer(result, html_out, before)
        else:
            write_html([*before, result], html_out)
        console.print(f"wrote {html_out}", highlight=False)
    if phoenix:
        from agentkit.evals.phoenix import upload

        console.print(f"Phoenix: {upload(result)}", highlight=False, soft_wrap=True)
    verdict = judge(result, suite, reference)
    if reference is not None and verdict.changes:
        kept = sum(c.status != "regressed" for c in verdict.changes)
        console.print(f"baseline {reference.created:%Y-%m-%d %H:%M}: {kept} of {len(verdict.changes)} gated metric(s) "
                      "held", highlight=False)
    table = verdict_table(verdict)
    if table is not None:
        console.print(table)
        failing = [c.metric for c in verdict.regressions] + [*verdict.failed_thresholds, *verdict.missing]
        console.print(f"gate failed on {len(failing)} metric(s): {', '.join(failing)}",
                      highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_GATE)


@friendly_errors
def run_command(
    suite_file: Annotated[Path, typer.Argument(help="An eval suite, e.g. evals/bfcl.yaml.")],
    data: Annotated[Path | None, typer.Option(
        "--data", help="Data path in place of the suite's (relative to the working folder).")] = None,
    limit: Annotated[int | None, typer.Option(
        "--limit", min=0, help="In place of the suite's `limit` setting (keep runs small).")] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the result here.")] = None,
    html_out: Annotated[Path | None, typer.Option(
        "--html", help="Write the HTML report here (with the baseline next to this run).")] = None,
    baseline: Annotated[Path | None, typer.Option(
        "--baseline", help="An earlier --json result: exit 3 when a gated metric dropped "
        "past its tolerance.")] = None,
    phoenix: Annotated[bool, typer.Option(
        "--phoenix", help="Upload the items as a Phoenix dataset and the run as an experiment.")] = False,
) -> None:
    """Run an eval suite, print its metrics, write reports, and gate it: exit 3 when a
    metric is out of its threshold or dropped past its tolerance from --baseline."""
    from agentkit.evals.gate import check_baseline
    from agentkit.evals.load import load_result
    from agentkit.evals.runner import check_suite, run_suite
    from agentkit.evals.suite import load_suite

    suite, source = load_suite(suite_file)
    check_suite(suite, source)
    reference = load_result(baseline) if baseline is not None else None
    if reference is not None:
        check_baseline(reference, suite.kind)
    if phoenix:  # before the run: an unreachable Phoenix costs no eval time
        from agentkit.observability.client import connect

        connect()
    with RichProgress() as progress:
        result = run_suite(suite, source, data=data, limit=limit, progress=progress)
    report_and_gate(result, suite, json_out=json_out, html_out=html_out, reference=reference,
                    phoenix=phoenix)

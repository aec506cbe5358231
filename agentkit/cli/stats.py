"""`agentkit stats`: what the workspace's calls took and cost."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from agentkit.cli.errors import friendly_errors
from agentkit.workspace import find_workspace, state_dir

if TYPE_CHECKING:
    from agentkit.telemetry.stats import GroupStats

console = Console()


@friendly_errors
def stats_command(
    since: Annotated[str, typer.Option(help="calls since: 90s, 30m, 1h, 7d, 2w or an ISO date")] = "24h",
    by: Annotated[str, typer.Option(help="group by graph, model, prompt, adapter or key")] = "model",
    as_json: Annotated[bool, typer.Option("--json", help="print JSON instead of a table")] = False,
    html: Annotated[Path | None, typer.Option(help="also write an HTML page with plots over time")] = None,
) -> None:
    """p50/p95 latency, time to first token, tokens, cost and error rate of the workspace's
    model calls and graph runs (`agentkit serve`, `run`, `ask`), per group."""
    from agentkit.telemetry.stats import as_json as stats_json, parse_since, summarize, write_html
    from agentkit.telemetry.store import TELEMETRY_FILE, read_records

    start = parse_since(since)
    records = read_records(state_dir(find_workspace()) / TELEMETRY_FILE, since=start)
    stats = summarize(records, by)
    if html is not None:
        write_html(records, stats, by, html)
    if as_json:
        typer.echo(json.dumps(stats_json(stats, by, start), indent=2))
        return
    if not stats:
        console.print(f"no calls recorded since {escape(since)} ago in this workspace", highlight=False)
        return
    console.print(stats_table(stats, f"calls since {since}, by {by}"))
    if html is not None:
        console.print(f"[dim]plots: {escape(str(html))}[/]", highlight=False)


def stats_table(stats: Sequence[GroupStats], title: str) -> Table:
    """The figures of each group as a table."""
    table = Table("group", "calls", "errors", "p50 s", "p95 s", "first token p50 s", "tokens in", "tokens out",
                  "cost $", title=title)
    for s in stats:
        table.add_row(escape(s.group), str(s.calls), f"{s.error_rate:.1%}", f"{s.latency_p50:.3f}",
                      f"{s.latency_p95:.3f}", "" if s.first_token_p50 is None else f"{s.first_token_p50:.3f}",
                      f"{s.input_tokens:,}", f"{s.output_tokens:,}", f"{s.cost:.6f}")
    return table

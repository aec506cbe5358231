"""`agentkit run FILE --input TEXT|@FILE|-`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from agentkit.cli.errors import friendly_errors
from agentkit.cli.inputs import read_input
from agentkit.engine.runner import run_graph
from agentkit.text import text_of

console = Console()


def show_event(node: str, update: dict[str, Any]) -> None:
    """Print each channel a node wrote, shortened to one line."""
    for channel, value in update.items():
        text = text_of(value[-1] if isinstance(value, list) and value else value).replace("\n", " ")
        console.print(f"[dim]▶ {escape(node)}[/] {escape(channel)} = {escape(text[:120])}", highlight=False)


@friendly_errors
def run_command(
    file: Annotated[Path, typer.Argument(help="graph file (YAML)")],
    text: Annotated[str, typer.Option(
        "--input", "-i", help="text for the graph's input channel; @FILE reads a file, - reads stdin")],
    thread: Annotated[str | None, typer.Option("--thread", "-t", help="continue this conversation thread")] = None,
    stream: Annotated[bool, typer.Option("--stream", help="print node events as they happen")] = False,
    trace: Annotated[bool, typer.Option("--trace/--no-trace", help="export spans to Phoenix")] = True,
) -> None:
    """Run a graph on one input and print its answer."""
    result = run_graph(file, read_input(text), thread_id=thread, trace=trace, on_event=show_event if stream else None)
    typer.echo(text_of(result.answer))
    console.print(f"[dim]thread {escape(result.thread_id)}[/]", highlight=False)
    if result.traced:
        from agentkit.observability.phoenix import phoenix_endpoint

        console.print(f"[dim]trace: {phoenix_endpoint()} (Phoenix project {escape(repr(result.graph))})[/]", highlight=False)

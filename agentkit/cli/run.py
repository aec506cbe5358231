"""`agentkit run FILE --input TEXT|@FILE|-` and `agentkit resume THREAD --approve|--edit|--reject`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from agentkit.cli.errors import friendly_errors
from agentkit.cli.inputs import read_input
from agentkit.engine.runner import RunResult, resume_thread, run_graph
from agentkit.errors import ConfigError
from agentkit.jsonl import loads_json
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
    show_result(result)


@friendly_errors
def resume_command(
    thread: Annotated[str, typer.Argument(help="the paused thread (as `agentkit run` printed it)")],
    approve: Annotated[bool, typer.Option("--approve", help="run the pending tool calls as they are")] = False,
    reject: Annotated[bool, typer.Option("--reject", help="do not run them; the model is told so")] = False,
    edit: Annotated[str | None, typer.Option(
        "--edit", help='run them with these arguments: JSON {"arg": value} for one call, or '
        '[{"name": ..., "args": {...}}] for several')] = None,
    reason: Annotated[str | None, typer.Option("--reason", help="with --reject: why (the model reads it)")] = None,
    stream: Annotated[bool, typer.Option("--stream", help="print node events as they happen")] = False,
    trace: Annotated[bool, typer.Option("--trace/--no-trace", help="export spans to Phoenix")] = True,
) -> None:
    """Continue a run that paused for approval of its tool calls."""
    result = resume_thread(thread, decision_of(approve, reject, edit, reason), trace=trace,
                           on_event=show_event if stream else None)
    show_result(result)


def decision_of(approve: bool, reject: bool, edit: str | None, reason: str | None) -> dict[str, Any]:
    """The resume decision the flags ask for (exactly one of them)."""
    chosen = [name for name, on in (("--approve", approve), ("--reject", reject), ("--edit", edit is not None)) if on]
    if len(chosen) != 1:
        raise ConfigError("say what to do with the pending calls: give exactly one of --approve, --edit JSON or "
                          f"--reject{' (got ' + ' and '.join(chosen) + ')' if chosen else ''}")
    if reason is not None and not reject:
        raise ConfigError("--reason goes with --reject")
    if approve:
        return {"action": "approve"}
    if reject:
        return {"action": "reject", "reason": reason}
    try:
        value = loads_json(edit or "")
    except ValueError as exc:
        example = """--edit '{"expression": "2 * 3"}'"""
        raise ConfigError(f"--edit: not JSON ({exc}); give the new arguments as JSON, e.g. {example}") from None
    if isinstance(value, dict):
        return {"action": "edit", "args": value}
    if isinstance(value, list):
        return {"action": "edit", "calls": value}
    raise ConfigError("--edit: give a JSON object of arguments or a list of {name, args}")


def show_result(result: RunResult) -> None:
    """The answer (or the calls waiting for approval), the thread, and where the trace is."""
    if result.interrupts:
        for pending in result.interrupts:
            for call in (pending.get("tool_calls") if isinstance(pending, dict) else None) or []:
                args = ", ".join(f"{k}={v!r}" for k, v in call["args"].items())
                console.print(f"[yellow]waiting for approval[/] {escape(call['name'])}({escape(args)})",
                              highlight=False)
        console.print(f"resume with: agentkit resume {escape(result.thread_id)} --approve | --edit JSON | --reject",
                      highlight=False)
    else:
        typer.echo(text_of(result.answer))
    console.print(f"[dim]thread {escape(result.thread_id)}[/]", highlight=False)
    if result.traced:
        from agentkit.observability.phoenix import phoenix_endpoint

        console.print(f"[dim]trace: {phoenix_endpoint()} (Phoenix project {escape(repr(result.graph))})[/]", highlight=False)

"""`agentkit ask QUESTION`: the tool agent, answering from the tools' data."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from langchain_core.messages import AIMessage, ToolCall, ToolMessage
from rich.console import Console
from rich.markup import escape

from agentkit.cli.errors import friendly_errors
from agentkit.cli.inputs import read_input
from agentkit.engine.runner import run_graph
from agentkit.text import text_of
from agentkit.workspace import find_workspace

console = Console()


def call_text(call: ToolCall) -> str:
    """A tool call as Python-like text: `name(arg='value', ...)`."""
    return f"{call['name']}({', '.join(f'{k}={v!r}' for k, v in call['args'].items())})"


@friendly_errors
def ask_command(
    question: Annotated[str, typer.Argument(help="what to ask; @FILE reads a file, - reads stdin")],
    show_calls: Annotated[bool, typer.Option("--show-calls", help="print each tool call and its result")] = False,
    graph: Annotated[Path | None, typer.Option("--graph", help="agent graph (default graphs/tool_agent.yaml)")] = None,
    trace: Annotated[bool, typer.Option("--trace/--no-trace", help="export spans to Phoenix")] = True,
    no_adapter: Annotated[bool, typer.Option("--no-adapter", help="answer with the base model, no adapter "
                                             "(by default the shipped tool_calls adapter when present)")] = False,
) -> None:
    """Ask the tool agent; the answer is built from the data its tools returned."""
    path = graph or find_workspace() / "graphs" / "tool_agent.yaml"
    text = read_input(question, "QUESTION")
    if no_adapter:
        from agentkit.models.adapters import base_only  # here: importing the CLI does not load torch

        with base_only():
            result = run_graph(path, text, trace=trace, source="ask")
    else:
        result = run_graph(path, text, trace=trace, source="ask")
    messages = result.state.get("messages") or []
    start = max((i for i, m in enumerate(messages) if m.type == "human"), default=0)
    turn = messages[start:]
    results = [m for m in turn if isinstance(m, ToolMessage)]
    if show_calls:
        for message in turn:
            for call in message.tool_calls if isinstance(message, AIMessage) else []:
                console.print(f"[cyan]→ {escape(call_text(call))}[/]", highlight=False)
            if isinstance(message, ToolMessage):
                style = "red" if message.status == "error" else "dim"
                console.print(f"[{style}]  ← {escape(text_of(message))}[/]", highlight=False)
    answers = [m.text for m in results if m.status != "error"]
    typer.echo("\n".join(answers) if answers else str(result.answer))

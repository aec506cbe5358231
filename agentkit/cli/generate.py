"""`agentkit generate`: watch the local model tokenize, run forward steps and decode."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from agentkit.cli.errors import friendly_errors

if TYPE_CHECKING:
    from agentkit.models.inspection import Token


@friendly_errors
def generate_command(
    prompt: Annotated[str, typer.Argument(help="Text for the model to continue.")],
    chat: Annotated[
        bool, typer.Option("--chat", help="Wrap the prompt as a user turn in the chat template.")
    ] = False,
    show_tokens: Annotated[
        bool, typer.Option("--show-tokens", help="List the prompt's token ids and pieces.")
    ] = False,
    max_tokens: Annotated[
        int, typer.Option("--max-tokens", min=1, help="Greedy steps to run at most.")
    ] = 20,
    model: Annotated[
        str | None,
        typer.Option(help="Local HF folder, .gguf file or hub id (default: bundled SmolLM2)."),
    ] = None,
) -> None:
    """Tokenize -> forward -> decode, step by step (greedy, top-5 per step)."""
    # Imported here so that other commands start without loading torch.
    from agentkit.models.inspection import decode, greedy_steps, tokenize
    from agentkit.models.loading import shared_model

    console = Console()
    loaded = shared_model(model)
    tokens = tokenize(loaded, prompt, chat=chat)
    console.print(f"[bold]1. tokenize[/] {len(tokens)} prompt tokens ({loaded.name})")
    if show_tokens:
        console.print(_tokens_table(tokens))
    console.print("[bold]2. forward[/] one pass per new token (greedy, top-5)")
    steps = Table("step", "id", "token", "p", "top-5 alternatives")
    chosen = []
    for number, step in enumerate(greedy_steps(loaded, [t.id for t in tokens], max_tokens), 1):
        chosen.append(step.chosen.id)
        top = "  ".join(f"{t.text!r} {p:.2f}" for t, p in step.top)
        steps.add_row(
            str(number), str(step.chosen.id), escape(repr(step.chosen.text)), f"{step.probability:.2f}", escape(top)
        )
    console.print(steps)
    console.print("[bold]3. decode[/]")
    console.print(decode(loaded, chosen), markup=False, highlight=False)


def _tokens_table(tokens: list[Token]) -> Table:
    table = Table("#", "id", "piece")
    for index, token in enumerate(tokens):
        table.add_row(str(index), str(token.id), escape(repr(token.text)))
    return table

"""One Typer app: every `agentkit` sub-command is registered here."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="agentkit",
    help="Declarative LangGraph agents, offline local models, Phoenix tracing.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def main() -> None:
    """Console-script entry point."""
    app()

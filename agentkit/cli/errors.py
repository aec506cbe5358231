"""Turn agentkit errors into a clear message and an exit code, never a traceback."""

from __future__ import annotations

import functools
from typing import Any, Callable, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from agentkit.errors import AgentkitError, GraphSpecError

F = TypeVar("F", bound=Callable[..., Any])
err_console = Console(stderr=True)

EXIT_INVALID = 2
EXIT_FAILED = 1


def friendly_errors(command: F) -> F:
    """Wrap a command: AgentkitError -> message on stderr and exit 2 (bad spec) or 1."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except AgentkitError as exc:
            err_console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, markup=True, soft_wrap=True)
            raise typer.Exit(EXIT_INVALID if isinstance(exc, GraphSpecError) else EXIT_FAILED) from None

    return wrapper  # type: ignore[return-value]

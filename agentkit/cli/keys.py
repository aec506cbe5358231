"""`agentkit keys create|list|revoke`: the workspace's API keys for `agentkit serve`."""

from __future__ import annotations

import time
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from agentkit.access.keys import KeyStore, Scope
from agentkit.cli.errors import friendly_errors
from agentkit.workspace import find_workspace

console = Console(highlight=False)
keys_app = typer.Typer(help="API keys for `agentkit serve`: create (shown once), list, revoke.", no_args_is_help=True)


@keys_app.command("create")
@friendly_errors
def create_command(
    name: Annotated[str, typer.Argument(help="who or what uses the key, e.g. ci-bot")],
    scope: Annotated[list[Scope] | None, typer.Option(
        "--scope", help="what the key may call: chat (/v1), graphs (/graphs, /threads), admin (all); "
                        "repeat for several (default: chat)")] = None,
    rate: Annotated[int | None, typer.Option(min=1, help="requests a minute (default: no limit)")] = None,
    tokens: Annotated[int | None, typer.Option(min=1, help="prompt + completion tokens a minute")] = None,
) -> None:
    """Make a key and print it once: the workspace keeps only a salted hash of it."""
    key, token = KeyStore.of(find_workspace()).create(name, scope or [Scope.chat], rate, tokens)
    console.print(f"made key {key.name} ({key.id}), scopes {', '.join(key.scopes)}; it is shown only now:")
    print(token)


@keys_app.command("list")
@friendly_errors
def list_command() -> None:
    """Every key (never its secret): id, name, scopes, limits, made and revoked."""
    keys = KeyStore.of(find_workspace()).list()
    if not keys:
        console.print("no keys (make one with `agentkit keys create NAME`)")
        return
    table = Table("id", "name", "scopes", "requests/min", "tokens/min", "created", "revoked")
    for key in keys:
        table.add_row(key.id, key.name, ", ".join(key.scopes), _limit(key.rate_per_min), _limit(key.tokens_per_min),
                      _when(key.created), _when(key.revoked) if key.revoked else "")
    console.print(table)


@keys_app.command("revoke")
@friendly_errors
def revoke_command(key: Annotated[str, typer.Argument(help="the key's id or name")]) -> None:
    """Revoke a key: a running server refuses it from its next request."""
    revoked = KeyStore.of(find_workspace()).revoke(key)
    console.print(f"revoked key {revoked.name} ({revoked.id})")


def _limit(value: int | None) -> str:
    return f"{value:,}" if value is not None else "-"


def _when(ts: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.gmtime(ts)) if ts else ""

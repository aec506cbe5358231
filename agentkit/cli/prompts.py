"""`agentkit prompts list | show NAME[@V] | diff NAME V1 V2 | push [NAME]`."""

from __future__ import annotations

import difflib
from typing import Annotated

import typer
import yaml
from rich.console import Console
from rich.markup import escape
from rich.syntax import Syntax
from rich.table import Table

from agentkit.cli.errors import friendly_errors
from agentkit.prompts import Prompt, PromptStore
from agentkit.prompts.phoenix import MODEL_NAME, plan_push, push_prompts
from agentkit.workspace import find_workspace

prompts_app = typer.Typer(help="Versioned prompts in the workspace's prompts/ folder.", no_args_is_help=True)
console = Console()


def _store() -> PromptStore:
    return PromptStore(find_workspace() / "prompts")


def _as_yaml(prompt: Prompt) -> str:
    return yaml.safe_dump(prompt.model_dump(mode="json", exclude_none=True, exclude_defaults=True),
                          sort_keys=False, allow_unicode=True)


@prompts_app.command("list")
@friendly_errors
def list_command() -> None:
    """Each prompt with its current version, label, number of versions and variables."""
    store = _store()
    table = Table(title=f"Prompts in {store.folder}")
    for column in ("name", "version", "label", "versions", "variables"):
        table.add_column(column)
    for name in store.names():
        prompt = store.current(name, record=False)
        table.add_row(name, prompt.version, prompt.label or "", str(len(store.versions(name))),
                      ", ".join(prompt.variables()))
    console.print(table)


@prompts_app.command("show")
@friendly_errors
def show_command(ref: Annotated[str, typer.Argument(help="NAME or NAME@VERSION (hash prefix or label)")]) -> None:
    """Print one version of a prompt (reads only: writes nothing)."""
    prompt = _store().get(ref, record=False)
    console.print(f"[bold]{escape(prompt.ref)}[/]{f' ({escape(prompt.label)})' if prompt.label else ''}", highlight=False)
    console.print(Syntax(_as_yaml(prompt), "yaml"))


@prompts_app.command("diff")
@friendly_errors
def diff_command(
    name: Annotated[str, typer.Argument(help="prompt name")],
    old: Annotated[str, typer.Argument(help="older version (hash prefix or label)")],
    new: Annotated[str, typer.Argument(help="newer version (hash prefix or label)")],
) -> None:
    """Unified diff between two versions of a prompt."""
    store = _store()
    before, after = store.get(f"{name}@{old}", record=False), store.get(f"{name}@{new}", record=False)
    lines = difflib.unified_diff(_as_yaml(before).splitlines(), _as_yaml(after).splitlines(),
                                 before.ref, after.ref, lineterm="")
    typer.echo("\n".join(lines) or "no difference")


@prompts_app.command("push")
@friendly_errors
def push_command(
    names: Annotated[list[str] | None, typer.Argument(help="prompt names (default: every prompt)")] = None,
    phoenix_url: Annotated[str | None, typer.Option(
        "--phoenix-url", help="Phoenix base URL (default: $PHOENIX_COLLECTOR_ENDPOINT or http://127.0.0.1:6006)")] = None,
    model_name: Annotated[str, typer.Option("--model-name", help="model name stored with each version")] = MODEL_NAME,
) -> None:
    """Publish every version of the prompts to Phoenix's Prompts page, tagged with their
    content hash and label; versions already there are skipped. Files stay the truth."""
    from agentkit.observability.client import connect

    store = _store()
    plan = plan_push(store, names)
    api = connect(phoenix_url, pointer="--phoenix-url (or $PHOENIX_COLLECTOR_ENDPOINT)")
    pushed = push_prompts(api, store, plan, model_name)
    for item in pushed:
        state = "pushed " if item.created else "present"
        typer.echo(f"{state} {item.name}@{item.version}  tags: {', '.join(item.tags)}")
    created = sum(item.created for item in pushed)
    typer.echo(f"{created} new version(s), {len(pushed) - created} already in Phoenix: {api.url}/prompts")

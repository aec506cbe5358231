"""`agentkit adapters list|show|merge`: parse, call agentkit.finetune.adapters, print."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from agentkit.cli.errors import friendly_errors

console = Console()
adapters_app = typer.Typer(help="LoRA adapters: list, show, record evals in the model card, merge into a "
                                "standalone model.",
                           no_args_is_help=True)


@adapters_app.command("list")
@friendly_errors
def list_command(
    dirs: Annotated[list[Path] | None, typer.Option(
        "--dir", help="folders holding adapter folders (default: WORKSPACE/adapters)")] = None,
) -> None:
    """Adapters shipped with agentkit and those in the workspace."""
    from agentkit.finetune.adapters import list_adapters
    from agentkit.workspace import find_workspace

    found = list_adapters(dirs or [find_workspace() / "adapters"])
    if not found:
        console.print("no adapters (train one with `agentkit finetune sft CONFIG.yaml`)")
        return
    table = Table("name", "origin", "method", "base sha256", "data rows", "size", "folder")
    for info in found:
        meta = info.meta
        table.add_row(info.name, info.origin, meta.method if meta else "?",
                      meta.base_model_sha256[:12] if meta else f"[red]{escape(str(info.problem))}[/]",
                      str(sum(d.rows for d in meta.data)) if meta else "",
                      f"{info.size_bytes / 1e6:.1f} MB", str(info.folder))
    console.print(table)


@adapters_app.command("show")
@friendly_errors
def show_command(
    adapter: Annotated[str, typer.Argument(help="adapter folder or shipped adapter name", show_default=False)],
    base_model: Annotated[str | None, typer.Option("--base-model", help="check against this base")] = None,
) -> None:
    """An adapter's meta, data, evals, and whether it fits the base model."""
    from agentkit.finetune.adapters import fits_base, resolve_adapter
    from agentkit.models.adapter_meta import read_meta

    folder = resolve_adapter(adapter)
    meta = read_meta(folder)
    training = meta.training
    console.print(f"[bold]{escape(meta.name)}[/] ({meta.method}) {escape(str(folder))}\n"
                  f"base: {meta.base_model}  sha256 {meta.base_model_sha256}\n"
                  f"created: {meta.created:%Y-%m-%d %H:%M}  lora: {training.get('lora')}  "
                  f"train: {training.get('train')}", highlight=False, soft_wrap=True)
    for item in meta.data:
        console.print(f"data: {item.source}  {item.rows} rows  license {item.license}", highlight=False,
                      soft_wrap=True)
    if meta.evals:
        table = Table("metric", "data", "base", "adapter", "Δ")
        for row in meta.evals:
            table.add_row(row.metric, row.data, f"{row.base:.3f}", f"{row.adapter:.3f}",
                          f"{row.adapter - row.base:+.3f}")
        console.print(table)
    else:
        console.print("evals: not measured yet")
    problem = fits_base(meta, folder, base_model)
    console.print("fits the base model: yes" if problem is None else f"[red]does not fit:[/] {problem}",
                  highlight=False, soft_wrap=True)


@adapters_app.command("record-eval")
@friendly_errors
def record_eval_command(
    adapter: Annotated[str, typer.Argument(help="adapter folder or shipped adapter name", show_default=False)],
    base_result: Annotated[Path, typer.Argument(help="eval --json result of the base model", show_default=False)],
    adapter_result: Annotated[Path, typer.Argument(help="the same eval's result with the adapter",
                                                   show_default=False)],
    metrics: Annotated[list[str] | None, typer.Option(
        "--metric", help="metric name or pattern to record (repeat; default: all both results have)")] = None,
    data: Annotated[str, typer.Option("--data", help="how the card names the data (default: eval, file, limit)")] = "",
) -> None:
    """Write base-vs-adapter figures from two `agentkit eval ... --json` results into the
    adapter's model card (README.md) and meta."""
    from agentkit.evals.load import load_result
    from agentkit.finetune.adapters import resolve_adapter
    from agentkit.finetune.card import CARD
    from agentkit.finetune.eval_table import eval_rows, record_evals

    folder = resolve_adapter(adapter)
    rows = eval_rows(load_result(base_result), load_result(adapter_result), metrics or ["*"], data)
    record_evals(folder, rows)
    console.print(f"recorded {len(rows)} figure(s) in {folder / CARD}", highlight=False, soft_wrap=True)


@adapters_app.command("merge")
@friendly_errors
def merge_command(
    adapter: Annotated[str, typer.Argument(help="adapter folder or shipped adapter name", show_default=False)],
    out: Annotated[Path, typer.Argument(help="new model folder", show_default=False)],
    int8: Annotated[bool, typer.Option("--int8", help="mark it for dynamic int8 loading (CPU inference)")] = False,
    base_model: Annotated[str | None, typer.Option("--base-model", help="base to merge into")] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="replace a non-empty OUT")] = False,
) -> None:
    """merge_and_unload the adapter into its base: a standalone transformers folder."""
    from agentkit.finetune.adapters import merge_adapter

    folder = merge_adapter(adapter, out, base_model=base_model, int8=int8, overwrite=overwrite)
    snippet = f"model: {folder}" + ("\n  quantize: true" if int8 else "")
    console.print(f"merged into {folder}\nuse it in a graph:\n  provider: local\n  {snippet}",
                  highlight=False, soft_wrap=True)

"""`agentkit index PATH... --store NAME` (or `--loader MODULE:CLASS --loader-arg K=V ...`):
load, chunk, embed and store documents incrementally."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from agentkit.cli.errors import friendly_errors
from agentkit.errors import ConfigError
from agentkit.rag.indexing import EMBED_BATCH, IndexPlan
from agentkit.rag.langchain_loaders import load_documents, loader_from_spec
from agentkit.rag.open import filling
from agentkit.rag.options import chunking_options, store_options
from agentkit.workspace import find_workspace

console = Console()


@friendly_errors
def index_command(
    paths: Annotated[list[Path] | None, typer.Argument(
        help="files or folders (.txt .md .html .pdf, BEIR .jsonl)", show_default=False)] = None,
    store: Annotated[str, typer.Option("--store", help="store name (embedded: .agentkit/stores/NAME)")] = "docs",
    chunk_size: Annotated[int, typer.Option("--chunk-size", help="most tokens per chunk")] = 200,
    chunk_overlap: Annotated[int, typer.Option("--chunk-overlap", help="tokens shared by neighbours")] = 30,
    backend: Annotated[str, typer.Option("--backend", help="embedded or weaviate")] = "embedded",
    url: Annotated[str | None, typer.Option("--url", help="weaviate: server URL")] = None,
    batch_size: Annotated[int, typer.Option("--batch-size", min=1, help="chunks embedded and written per transaction")] = EMBED_BATCH,
    loader: Annotated[str | None, typer.Option(
        "--loader", help="index what a LangChain BaseLoader loads instead of files: MODULE:CLASS, "
        "e.g. langchain_community.document_loaders:CSVLoader")] = None,
    loader_arg: Annotated[list[str] | None, typer.Option(
        "--loader-arg", help="--loader keyword KEY=VALUE (repeatable; JSON values, else text)")] = None,
) -> None:
    """Index documents: unchanged files are skipped, changed ones replaced, removed ones deleted."""
    if bool(paths) == bool(loader):
        raise ConfigError("agentkit index: give files and folders or --loader, not both" if paths else
                          "agentkit index: give files or folders to index, or --loader MODULE:CLASS")
    config = store_options(store, backend, url)
    chunking = chunking_options(chunk_size, chunk_overlap)
    documents = load_documents(loader_from_spec(loader, loader_arg or []), loader) if loader else None
    workspace = find_workspace()
    with filling(config, workspace) as index:
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        with Progress(*columns, console=console, transient=True) as bar:
            reading = bar.add_task("reading and chunking files", total=None)
            task = None

            def on_plan(plan: IndexPlan) -> None:
                nonlocal task
                bar.remove_task(reading)
                task = bar.add_task("embedding chunks", total=len(plan.add))

            options = {"progress": lambda n: bar.advance(task, n), "on_plan": on_plan, "batch_size": batch_size}
            report = (index.index_documents(documents, workspace, chunking, **options) if documents is not None
                      else index.index(paths or [], workspace, chunking, **options))
    console.print(f"store {store!r}: {report.summary()}", highlight=False)
    if report.skipped:
        raise typer.Exit(1)

"""`agentkit index PATH... --store NAME`: load, chunk, embed and store documents incrementally."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from agentkit.cli.errors import friendly_errors
from agentkit.errors import ConfigError
from agentkit.rag.chunking import ChunkingConfig
from agentkit.rag.config import StoreConfig
from agentkit.rag.indexing import EMBED_BATCH, IndexPlan
from agentkit.rag.open import open_index
from agentkit.workspace import find_workspace

console = Console()


@friendly_errors
def index_command(
    paths: Annotated[list[Path], typer.Argument(help="files or folders (.txt .md .html .pdf, BEIR .jsonl)")],
    store: Annotated[str, typer.Option("--store", help="store name (embedded: .agentkit/stores/NAME)")] = "docs",
    chunk_size: Annotated[int, typer.Option("--chunk-size", help="most tokens per chunk")] = 200,
    chunk_overlap: Annotated[int, typer.Option("--chunk-overlap", help="tokens shared by neighbours")] = 30,
    backend: Annotated[str, typer.Option("--backend", help="embedded or weaviate")] = "embedded",
    url: Annotated[str | None, typer.Option("--url", help="weaviate: server URL")] = None,
    batch_size: Annotated[int, typer.Option("--batch-size", min=1, help="chunks embedded and written per transaction")] = EMBED_BATCH,
) -> None:
    """Index documents: unchanged files are skipped, changed ones replaced, removed ones deleted."""
    try:
        config = StoreConfig(name=store, backend=backend, url=url)
        chunking = ChunkingConfig(chunk_size=chunk_size, chunk_overlap=chunk_overlap)
    except ValueError as exc:
        raise ConfigError(f"agentkit index: {exc}") from exc
    workspace = find_workspace()
    index = open_index(config, workspace)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        reading = bar.add_task("reading and chunking files", total=None)
        task = None

        def on_plan(plan: IndexPlan) -> None:
            nonlocal task
            bar.remove_task(reading)
            task = bar.add_task("embedding chunks", total=len(plan.add))

        report = index.index(paths, workspace, chunking, progress=lambda n: bar.advance(task, n),
                             on_plan=on_plan, batch_size=batch_size)
    index.store.close()
    console.print(f"store {store!r}: {report.summary()}", highlight=False)
    if report.skipped:
        raise typer.Exit(1)

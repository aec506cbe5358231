"""`agentkit eval bfcl | report`: score tool calling on BFCL data, chart the results."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from agentkit.cli.errors import friendly_errors
from agentkit.errors import ConfigError
from agentkit.evals.bfcl.html import write_html
from agentkit.evals.bfcl.loading import load_bfcl
from agentkit.evals.bfcl.report import scores_table
from agentkit.evals.bfcl.results import BfclRun, ItemResult, score
from agentkit.models.config import ChatModelConfig

eval_app = typer.Typer(help="Score models on benchmarks (BFCL tool calling).",
                       no_args_is_help=True)
console = Console()
progress_console = Console(stderr=True)


@eval_app.command("bfcl")
@friendly_errors
def bfcl_command(
    data: Annotated[Path, typer.Option(
        "--data", help="BFCL data: a folder with the merged *.jsonl file, or with raw "
        "BFCL_v4_<category>.json files and possible_answer/ (directly or under raw/).")],
    category: Annotated[list[str] | None, typer.Option(
        "--category", "-c", help="Category to run (repeat for several; default: all).")] = None,
    limit: Annotated[int | None, typer.Option(
        "--limit", min=1, help="At most N items per category (the first N).")] = None,
    constrain: Annotated[bool, typer.Option(
        "--constrain/--no-constrain",
        help="Grammar-constrained tool calls, or free generation parsed afterwards.")] = True,
    json_out: Annotated[Path | None, typer.Option(
        "--json", help="Write per-category figures and per-item records here.")] = None,
    html_out: Annotated[Path | None, typer.Option(
        "--html", help="Write an HTML report with a bar chart here.")] = None,
    compare: Annotated[list[Path] | None, typer.Option(
        "--compare", help="Earlier --json run(s) to chart next to this one in --html.")] = None,
    model: Annotated[str | None, typer.Option(
        help="Local HF folder, .gguf file or hub id (default: bundled SmolLM2).")] = None,
    max_tokens: Annotated[int, typer.Option(
        "--max-tokens", min=1, help="Most tokens per reply.")] = ChatModelConfig().max_tokens,
) -> None:
    """Score tool calling on BFCL data: n, valid_rate, accuracy, latency per category.

    valid_rate: the calls parse and fit a function schema. accuracy: BFCL's AST match
    (irrelevance: no call). The model answers with tool_choice=auto, parallel calls
    allowed. Data: JSON Lines, merged (id, category, turns, functions, ground_truth,
    expect_no_call) or raw (id, question, function; possible_answer: id, ground_truth).
    """
    if compare and html_out is None:
        raise ConfigError("--compare only adds runs to the HTML report; add --html OUT")
    items = load_bfcl(data, category, limit)
    earlier = [BfclRun.load(path) for path in compare or []]
    from agentkit.evals.bfcl.running import model_label, run_bfcl  # loads langchain
    from agentkit.models.factory import get_chat_model  # loads torch

    llm = get_chat_model(ChatModelConfig(model=model, max_tokens=max_tokens))
    mode = "constrained" if constrain else "unconstrained"
    results: list[ItemResult] = []
    with _progress() as progress:
        task = progress.add_task(mode, total=len(items), right="")
        for result in run_bfcl(llm, items, constrain=constrain):
            if results and result.category != results[-1].category:
                _print_category(progress, results)
            results.append(result)
            done = [r for r in results if r.category == result.category]
            accuracy = sum(r.correct for r in done) / len(done)
            progress.update(task, advance=1, description=f"{mode} {result.category}",
                            right=f"acc {accuracy:.2f}")
        if results:
            _print_category(progress, results)
    run = BfclRun.from_results(
        results, model=model_label(llm), constrained=constrain, data=data, limit=limit
    )
    console.print(scores_table(run))
    failed = [r for r in results if r.error and r.error.startswith("model error")]
    if failed:
        console.print(f"[yellow]warning:[/] the model failed on {len(failed)} item(s), "
                      f"e.g. {failed[0].id}: {failed[0].error}", highlight=False)
    if json_out is not None:
        run.save(json_out)
        console.print(f"wrote {json_out}", highlight=False)
    if html_out is not None:
        write_html([*earlier, run], html_out)
        console.print(f"wrote {html_out}", highlight=False)


@eval_app.command("report")
@friendly_errors
def report_command(
    runs: Annotated[list[Path], typer.Argument(help="Run files written by `eval bfcl --json`.")],
    html_out: Annotated[Path, typer.Option("--html", help="Write the HTML report here.")],
) -> None:
    """Chart saved BFCL runs side by side (e.g. constrained vs --no-constrain)."""
    loaded = [BfclRun.load(path) for path in runs]
    for run in loaded:
        console.print(scores_table(run))
    write_html(loaded, html_out)
    console.print(f"wrote {html_out}", highlight=False)


def _print_category(progress: Progress, results: list[ItemResult]) -> None:
    """One line for the category just finished (also readable in logs)."""
    name = results[-1].category
    figures = score(name, [r for r in results if r.category == name])
    progress.console.print(
        f"{name}: n={figures.n} valid_rate={figures.valid_rate:.3f} "
        f"accuracy={figures.accuracy:.3f} mean latency {figures.mean_latency_s:.1f}s",
        highlight=False,
    )


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[right]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=progress_console,
    )

"""`agentkit eval tone --data pairs.jsonl`: rewrite held-out items with each variant and
score them with the tone evaluator (a front end over the `tone` eval kind)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from agentkit.cli.errors import friendly_errors
from agentkit.cli.eval_run import RichProgress, report_and_gate
from agentkit.evals.suite import Suite


@friendly_errors
def tone_command(
    data: Annotated[Path, typer.Option("--data", help="ParaDetox-style JSON Lines: id, toxic, neutral (rewrites)")],
    model: Annotated[list[str] | None, typer.Option(
        "--model", "-m", help="variant, repeatable: copy | base | prompted | an adapter folder (./path) "
        "or shipped adapter name (default: copy, base, prompted)")] = None,
    split: Annotated[str, typer.Option("--split", help="heldout: the split by --seed; all: every item")] = "heldout",
    seed: Annotated[int, typer.Option("--seed", help="seed of the held-out split")] = 0,
    limit: Annotated[int, typer.Option("--limit", min=1, help="at most N items (the first N of the split)")] = 30,
    shots: Annotated[int, typer.Option("--shots", min=0, help="few-shot examples of `prompted`")] = 3,
    max_tokens: Annotated[int, typer.Option("--max-tokens", min=1, help="most tokens per rewrite")] = 64,
    json_out: Annotated[Path | None, typer.Option(
        "--json", help="write the result (figures and every rewrite) here")] = None,
    html_out: Annotated[Path | None, typer.Option(
        "--html", help="write an HTML report (variants side by side) here")] = None,
) -> None:
    """Score rewrites: style (1 - P(toxic)), meaning (cosine to the source), fluency and J per variant."""
    from agentkit.evals.runner import run_suite

    suite = Suite(name="tone", kind="tone", data=str(data), settings={
        "variants": model or ["copy", "base", "prompted"], "split": split, "seed": seed, "limit": limit,
        "shots": shots, "max_tokens": max_tokens})
    with RichProgress() as progress:
        result = run_suite(suite, data=data, progress=progress)
    report_and_gate(result, suite, json_out=json_out, html_out=html_out)

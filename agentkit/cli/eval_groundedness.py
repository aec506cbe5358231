"""`agentkit eval groundedness --data qa.jsonl`: the grounding checker and self-RAG
answers (a front end over the `groundedness` eval kind)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from agentkit.cli.errors import friendly_errors
from agentkit.cli.eval_run import RichProgress, report_and_gate
from agentkit.evals.suite import Suite


@friendly_errors
def groundedness_command(
    data: Annotated[Path, typer.Option("--data", help="HaluEval QA JSON Lines (e.g. qa_300.jsonl)")],
    limit: Annotated[int, typer.Option("--limit", min=0, help="questions run through the graph (0: checker only)")] = 30,
    graph: Annotated[Path, typer.Option("--graph", help="self-RAG graph; its `docs` store is replaced")] = Path("graphs/self_rag.yaml"),
    threshold: Annotated[float, typer.Option("--threshold", help="checker: least groundedness counted as grounded (the graph keeps its own)")] = 0.8,
    json_out: Annotated[Path | None, typer.Option("--json", help="write the result (figures and every item) here")] = None,
    html_out: Annotated[Path | None, typer.Option("--html", help="write an HTML report here")] = None,
) -> None:
    """Answer-level eval: separate reference from hallucinated answers, then score self-RAG answers."""
    from agentkit.evals.runner import run_suite

    suite = Suite(name="groundedness", kind="groundedness", data=str(data),
                  settings={"limit": limit, "graph": str(graph), "threshold": threshold})
    with RichProgress() as progress:
        result = run_suite(suite, data=data, progress=progress)
    report_and_gate(result, suite, json_out=json_out, html_out=html_out)

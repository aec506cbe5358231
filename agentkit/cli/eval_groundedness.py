"""`agentkit eval groundedness --data qa.jsonl`: the grounding checker and self-RAG answers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from agentkit.cli.errors import friendly_errors
from agentkit.errors import ConfigError
from agentkit.evals.groundedness import (
    AnswerRecord, answer_questions, load_items, score_answers, score_checker,
)
from agentkit.workspace import find_workspace

console = Console()


@friendly_errors
def groundedness_command(
    data: Annotated[Path, typer.Option("--data", help="HaluEval QA JSON Lines (e.g. qa_300.jsonl)")],
    limit: Annotated[int, typer.Option("--limit", min=0, help="questions run through the graph (0: checker only)")] = 30,
    graph: Annotated[Path, typer.Option("--graph", help="self-RAG graph; its `docs` store is replaced")] = Path("graphs/self_rag.yaml"),
    threshold: Annotated[float, typer.Option("--threshold", help="checker: least groundedness counted as grounded (the graph keeps its own)")] = 0.8,
    json_out: Annotated[Path | None, typer.Option("--json", help="write figures and per-answer records here")] = None,
) -> None:
    """Answer-level eval: separate reference from hallucinated answers, then score self-RAG answers."""
    if not data.is_file():
        raise ConfigError(f"--data {data}: no such file; give a HaluEval QA .jsonl file")
    items = load_items(data)
    checker = score_checker(items, threshold)
    table = Table(title=f"grounding checker on {checker.n} items (threshold {threshold})")
    for column in ("hallucination", "AUC", "reference passing", "hallucinated passing"):
        table.add_column(column)
    for key, value in checker.auc.items():
        table.add_row(key, f"{value:.3f}", f"{checker.reference_passing:.3f}", f"{checker.hallucinated_passing[key]:.3f}")
    console.print(table)
    report: dict[str, object] = {"checker": checker.model_dump()}
    if limit:
        workspace = find_workspace()
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        with Progress(*columns, console=console, transient=True) as bar:
            task = bar.add_task("self-RAG answers", total=limit)

            def advance(record: AnswerRecord) -> None:
                bar.advance(task)

            records = answer_questions(items[:limit], graph, "halueval", workspace, advance)
        answers = score_answers(records)
        table = Table(title=f"self-RAG on {answers.n} questions ({graph})")
        for name, value in answers.model_dump().items():
            table.add_row(name, f"{value:.3f}" if isinstance(value, float) else str(value))
        console.print(table)
        report |= {"answers": answers.model_dump(), "records": [r.model_dump() for r in records]}
    if json_out:
        json_out.write_text(json.dumps(report, indent=2), encoding="utf-8")
        console.print(f"wrote {json_out}", highlight=False)

"""`agentkit eval multihop --data DIR`: support recall of hybrid, graph and graph+hybrid
search on multi-hop questions (a front end over the `multihop` eval kind)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

from agentkit.cli.errors import friendly_errors
from agentkit.cli.eval_run import RichProgress, report_and_gate
from agentkit.errors import ConfigError
from agentkit.evals.multihop.running import MODES
from agentkit.evals.suite import Suite


@friendly_errors
def multihop_command(
    data: Annotated[Path, typer.Option(
        "--data", help="Folder with documents.jsonl (_id, title, text) and questions.jsonl "
        "(id, question, answers, supporting_doc_ids).")],
    mode: Annotated[list[str] | None, typer.Option(
        "--mode", "-m", help=f"Search mode, repeatable: {' | '.join(MODES)} (default: all three).")] = None,
    extractor: Annotated[Literal["lexical", "llm"], typer.Option(
        "--extractor", help="Graph modes: lexical (fast, no model) or llm entity extraction.")] = "lexical",
    llm: Annotated[str | None, typer.Option(
        "--llm", help="--extractor llm: model folder, .gguf or hub id (default: the bundled model).")] = None,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="At most N questions (the first N).")] = None,
    depth: Annotated[int, typer.Option("--depth", min=5, help="Chunks retrieved per question.")] = 20,
    store: Annotated[str | None, typer.Option(
        "--store", help="Embedded store name (default: derived from the data path and chunking; "
        "re-runs reuse it and its graph).")] = None,
    answer: Annotated[bool, typer.Option(
        "--answer", help="Also answer each question from the top passages (local model): EM and F1.")] = False,
    answer_model: Annotated[str | None, typer.Option(
        "--answer-model", help="--answer: model folder, .gguf or hub id (default: the bundled model).")] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="Write per-mode figures and every question here.")] = None,
    html_out: Annotated[Path | None, typer.Option(
        "--html", help="Write an HTML report (modes side by side, recall@k curves, latency) here.")] = None,
) -> None:
    """Score multi-hop retrieval: recall@2, recall@5, all_support@5, latency per mode.

    All documents form one corpus, indexed into an embedded store (a re-run only embeds
    what changed); graph modes build the store's knowledge graph first (incremental too).
    recall@k is the share of a question's supporting documents among the first k
    distinct documents; all_support@5 the share of questions with all of them in the top 5.
    """
    from agentkit.evals.runner import run_suite

    suite = Suite(name="multihop", kind="multihop", data=str(data), settings={
        "modes": _modes(mode), "extractor": extractor, "llm": llm, "limit": limit, "depth": depth,
        "store": store, "answer": answer, "answer_model": answer_model})
    with RichProgress() as progress:
        result = run_suite(suite, data=data, progress=progress)
    report_and_gate(result, suite, json_out=json_out, html_out=html_out)


def _modes(requested: list[str] | None) -> list[str]:
    """The modes to run, in the given order without repeats (default: all)."""
    for name in requested or []:
        if name not in MODES:
            raise ConfigError(f"--mode {name!r} is not a multi-hop search mode\n"
                              f"    fix: use one of {', '.join(MODES)}")
    return list(dict.fromkeys(requested)) if requested else list(MODES)

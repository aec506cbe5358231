"""`agentkit eval run | bfcl | retrieval | report`: eval suites, and front ends that
build a suite from flags (BFCL tool calling, BEIR retrieval) over the same machinery."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from agentkit.cli.errors import friendly_errors
from agentkit.cli.eval_run import RichProgress, console, report_and_gate, run_command
from agentkit.errors import ConfigError
from agentkit.evals.retrieval.results import MODES
from agentkit.evals.suite import Suite
from agentkit.models.config import ChatModelConfig

eval_app = typer.Typer(
    help="Run eval suites (`run evals/NAME.yaml`, with a baseline gate) or one eval from "
    "flags: BFCL tool calling (`bfcl`, `report`), BEIR retrieval (`retrieval`), "
    "HaluEval groundedness (`groundedness`), multi-hop retrieval (`multihop`).",
    no_args_is_help=True,
)
eval_app.command("run")(run_command)


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
    engine: Annotated[str, typer.Option(help="Local engine: auto, llama_cpp or transformers.")] = "auto",
    quant: Annotated[str | None, typer.Option(help="GGUF level on llama.cpp: f16, q8_0, q5_1, q4_1, q4_0.")] = None,
    adapter: Annotated[str | None, typer.Option(help="LoRA adapter answering: a shipped name or a folder.")] = None,
) -> None:
    """Score tool calling on BFCL data: n, valid_rate, accuracy, latency per category.

    valid_rate: the calls parse and fit a function schema. accuracy: BFCL's AST match
    (irrelevance: no call). The model answers with tool_choice=auto, parallel calls
    allowed. Data: JSON Lines, merged (id, category, turns, functions, ground_truth,
    expect_no_call) or raw (id, question, function; possible_answer: id, ground_truth).
    """
    if compare and html_out is None:
        raise ConfigError("--compare only adds runs to the HTML report; add --html OUT")
    from agentkit.evals.load import load_result
    from agentkit.evals.runner import run_suite

    earlier = [load_result(path) for path in compare or []]
    suite = Suite(name="bfcl", kind="bfcl", data=str(data), settings={
        "categories": category, "limit": limit, "constrain": constrain, "model": model,
        "max_tokens": max_tokens, "engine": engine, "quant": quant, "adapter": adapter})
    with RichProgress() as progress:
        result = run_suite(suite, data=data, progress=progress)
    report_and_gate(result, suite, json_out=json_out, html_out=html_out, earlier=earlier)


@eval_app.command("report")
@friendly_errors
def report_command(
    runs: Annotated[list[Path], typer.Argument(help="Result files written by `eval ... --json`.")],
    html_out: Annotated[Path, typer.Option("--html", help="Write the HTML report here.")],
) -> None:
    """Chart saved results side by side (e.g. constrained vs --no-constrain BFCL runs)."""
    from agentkit.evals.html import write_html
    from agentkit.evals.load import load_result
    from agentkit.evals.tables import metrics_table

    loaded = [load_result(path) for path in runs]
    for result in loaded:
        console.print(metrics_table(result))
    write_html(loaded, html_out)
    console.print(f"wrote {html_out}", highlight=False)


@eval_app.command("retrieval")
@friendly_errors
def retrieval_command(
    corpus: Annotated[Path, typer.Option("--corpus", help="BEIR corpus.jsonl (_id, title, text).")],
    queries: Annotated[Path, typer.Option("--queries", help="BEIR queries.jsonl (_id, text, metadata.split).")],
    qrels: Annotated[Path, typer.Option(
        "--qrels", help="BEIR qrels TSV with the header `query-id corpus-id score`.")],
    mode: Annotated[list[str] | None, typer.Option(
        "--mode", "-m", help=f"Search mode, repeatable: {' | '.join(MODES)} (default: all four).")] = None,
    split: Annotated[str | None, typer.Option(
        "--split", help="Only queries whose metadata.split is this (e.g. train, test).")] = None,
    limit: Annotated[int | None, typer.Option(
        "--limit", min=1, help="At most N queries (the first N that have a relevant document).")] = None,
    chunk_size: Annotated[int, typer.Option("--chunk-size", help="Most tokens per chunk.")] = 200,
    chunk_overlap: Annotated[int, typer.Option(
        "--chunk-overlap", help="Tokens shared by neighbouring chunks.")] = 30,
    rrf_k: Annotated[int, typer.Option("--rrf-k", min=1, help="Hybrid fusion: the k in 1 / (k + rank).")] = 60,
    store: Annotated[str | None, typer.Option(
        "--store", help="Embedded store name (default: derived from the corpus path and chunking; "
        "re-runs reuse it).")] = None,
    depth: Annotated[int, typer.Option(
        "--depth", min=100, help="Chunks retrieved per query before aggregating to documents.")] = 200,
    reranker: Annotated[str | None, typer.Option(
        "--reranker", help="hybrid+rerank: reranker spec (default: the offline default).")] = None,
    rerank_depth: Annotated[int, typer.Option(
        "--rerank-depth", min=1, help="hybrid+rerank: how many of the first hybrid chunks to rerank.")] = 30,
    json_out: Annotated[Path | None, typer.Option(
        "--json", help="Write per-mode figures and per-query scores here.")] = None,
    html_out: Annotated[Path | None, typer.Option(
        "--html", help="Write an HTML report (metrics chart, latency plot) here.")] = None,
) -> None:
    """Score retrieval on BEIR data: nDCG@10, recall@10, recall@100, MRR@10 and latency per mode.

    The corpus is indexed into an embedded store (chunked, embedded with the local
    model; a re-run only embeds what changed). Each query retrieves --depth chunks,
    which count as documents at the rank of their best chunk. Latency includes the
    query embedding. hybrid+rerank reranks the first --rerank-depth hybrid chunks.
    """
    from agentkit.evals.runner import run_suite

    suite = Suite(name="retrieval", kind="retrieval", data=".", settings={
        "corpus": str(corpus), "queries": str(queries), "qrels": str(qrels),
        "modes": _retrieval_modes(mode), "split": split, "limit": limit, "chunk_size": chunk_size,
        "chunk_overlap": chunk_overlap, "rrf_k": rrf_k, "store": store, "depth": depth,
        "reranker": reranker, "rerank_depth": rerank_depth})
    with RichProgress() as progress:
        result = run_suite(suite, data=Path("."), progress=progress)
    report_and_gate(result, suite, json_out=json_out, html_out=html_out)


def _retrieval_modes(requested: list[str] | None) -> list[str]:
    """The modes to run, in the given order without repeats (default: all)."""
    for name in requested or []:
        if name not in MODES:
            raise ConfigError(f"--mode {name!r} is not a search mode; use one of {', '.join(MODES)}")
    return list(dict.fromkeys(requested)) if requested else list(MODES)

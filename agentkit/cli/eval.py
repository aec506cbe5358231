"""`agentkit eval bfcl | report | retrieval`: score tool calling on BFCL data and
retrieval on BEIR data, chart the results."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

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
from agentkit.evals.retrieval.results import MODES
from agentkit.models.config import ChatModelConfig

if TYPE_CHECKING:
    from agentkit.evals.retrieval.results import QueryScore
    from agentkit.rag.chunking import ChunkingConfig
    from agentkit.rag.document_index import DocumentIndex
    from agentkit.rag.indexing import IndexPlan, IndexReport
    from agentkit.rag.rerank import Reranker

eval_app = typer.Typer(
    help="Score on benchmarks: BFCL tool calling (`bfcl`, `report`) and BEIR retrieval "
    "(`retrieval`: bm25, dense, hybrid, hybrid+rerank over an embedded store).",
    no_args_is_help=True,
)
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
    from agentkit.evals.retrieval.html import write_html
    from agentkit.evals.retrieval.loading import load_beir
    from agentkit.evals.retrieval.report import scores_table
    from agentkit.evals.retrieval.results import RetrievalRun, RetrievalSettings
    from agentkit.evals.retrieval.running import (
        SearchSettings,
        default_store_name,
        evaluate,
        missing_relevant,
        store_config,
    )
    from agentkit.rag.chunking import ChunkingConfig
    from agentkit.rag.fusion import FusionConfig
    from agentkit.rag.open import open_index
    from agentkit.workspace import find_workspace

    modes = _retrieval_modes(mode)
    try:
        chunking = ChunkingConfig(chunk_size=chunk_size, chunk_overlap=chunk_overlap)
    except ValueError as exc:
        raise ConfigError(f"agentkit eval retrieval: {exc}") from None
    data = load_beir(corpus, queries, qrels, split=split, limit=limit)
    settings = SearchSettings(depth=depth, fusion=FusionConfig(rrf_k=rrf_k), rerank_depth=rerank_depth)
    if "hybrid+rerank" in modes:
        settings.reranker = _reranker(reranker, explicit=bool(mode))
        if settings.reranker is None:
            modes.remove("hybrid+rerank")
    name = store or default_store_name(corpus, chunking)
    config = store_config(name)
    workspace = find_workspace()
    index = open_index(config, workspace)
    try:
        report = _index_with_progress(index, corpus, workspace, chunking)
        progress_console.print(f"store {name!r}: {report.summary()}", highlight=False)
        with _progress() as progress:
            tasks = {m: progress.add_task(m, total=len(data.queries), right="", start=False)
                     for m in modes}
            done: dict[str, list[float]] = {m: [] for m in modes}

            def on_query(current: str, score: QueryScore) -> None:
                if not done[current]:
                    progress.start_task(tasks[current])
                done[current].append(score.ndcg_at_10)
                mean = sum(done[current]) / len(done[current])
                progress.update(tasks[current], advance=1, right=f"nDCG@10 {mean:.3f}")

            results = evaluate(index, data, modes, settings, on_query=on_query)
        chunks = index.store.count()
    finally:
        index.store.close()
    run = RetrievalRun(
        n_queries=len(data.queries),
        settings=RetrievalSettings(
            corpus=str(corpus), queries=str(queries), qrels=str(qrels), split=split, limit=limit,
            documents=len(data.corpus_ids), chunks=chunks, chunk_size=chunk_size,
            chunk_overlap=chunk_overlap, store=name, store_path=str(config.folder(workspace)),
            embeddings=config.embeddings.model or "all-MiniLM-L6-v2 (bundled)",
            fusion=settings.fusion.model_dump(), depth=depth,
            reranker=reranker if settings.reranker else None,
            rerank_depth=rerank_depth if settings.reranker else None,
            index_seconds=report.seconds if report.chunks_added else 0.0,
            chunks_embedded=report.chunks_added, skipped_queries=data.skipped_queries,
            missing_relevant=missing_relevant(data),
        ),
        modes=results,
        query_text={q.id: q.text for q in data.queries},
    )
    console.print(scores_table(run))
    if json_out is not None:
        run.save(json_out)
        console.print(f"wrote {json_out}", highlight=False)
    if html_out is not None:
        write_html(run, html_out)
        console.print(f"wrote {html_out}", highlight=False)


def _retrieval_modes(requested: list[str] | None) -> list[str]:
    """The modes to run, in the given order without repeats (default: all)."""
    for name in requested or []:
        if name not in MODES:
            raise ConfigError(f"--mode {name!r} is not a search mode; use one of {', '.join(MODES)}")
    return list(dict.fromkeys(requested)) if requested else list(MODES)


def _reranker(spec: str | None, *, explicit: bool) -> Reranker | None:
    """The reranker for hybrid+rerank; None (with a warning) when the default mode list
    asked for it and agentkit has no reranker module."""
    try:
        from agentkit.rag.rerank import make_reranker
    except ImportError:
        if explicit:
            raise ConfigError("mode hybrid+rerank needs agentkit.rag.rerank, which this "
                              "agentkit does not have; leave the mode out") from None
        progress_console.print("[yellow]warning:[/] no reranker in this agentkit "
                               "(agentkit.rag.rerank); skipping hybrid+rerank", highlight=False)
        return None
    return make_reranker(spec)


def _index_with_progress(
    index: DocumentIndex, corpus: Path, workspace: Path, chunking: ChunkingConfig
) -> IndexReport:
    """Index the corpus with a progress bar on stderr (reading, then embedding)."""
    from agentkit.evals.retrieval.running import index_corpus

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn(), TimeRemainingColumn())
    with Progress(*columns, console=progress_console, transient=True) as bar:
        reading = bar.add_task("reading and chunking the corpus", total=None)
        task = None

        def on_plan(plan: IndexPlan) -> None:
            nonlocal task
            bar.remove_task(reading)
            task = bar.add_task("embedding chunks", total=len(plan.add))

        return index_corpus(index, corpus, workspace, chunking,
                            progress=lambda n: bar.advance(task, n), on_plan=on_plan)

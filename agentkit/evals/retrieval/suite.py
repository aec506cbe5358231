"""Retrieval as an eval kind: index a BEIR corpus into an embedded store, search every
query in each mode, and return the common result format (the orchestration that
`agentkit eval retrieval` used to do itself)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agentkit.errors import ConfigError
from agentkit.evals.kinds import EvalKind, Progress
from agentkit.evals.results import EvalResult, ItemRecord
from agentkit.evals.retrieval.results import METRICS, MODES, Mode, RetrievalRun, RetrievalSettings
from agentkit.evals.retrieval.running import DEPTH, RERANK_DEPTH

LATENCIES = ("latency_p50_ms", "latency_p95_ms")


class RetrievalSuiteSettings(BaseModel):
    """How a retrieval suite runs; file paths are relative to the suite's data folder."""

    model_config = ConfigDict(extra="forbid")

    corpus: str = "corpus.jsonl"
    queries: str = "queries.jsonl"
    qrels: str = "qrels/test.tsv"
    modes: list[Mode] = Field(default_factory=lambda: list(MODES), min_length=1)
    split: str | None = None
    limit: int | None = Field(default=None, ge=1, description="at most N judged queries")
    chunk_size: int = Field(default=200, ge=1)
    chunk_overlap: int = Field(default=30, ge=0)
    rrf_k: int = Field(default=60, ge=1)
    store: str | None = Field(default=None, description="default: derived from corpus and chunking")
    depth: int = Field(default=DEPTH, ge=100)
    reranker: str | None = Field(default=None, description="hybrid+rerank (default: offline)")
    rerank_depth: int = Field(default=RERANK_DEPTH, ge=1)


def run(settings: BaseModel, data: Path, progress: Progress) -> EvalResult:
    """Index the corpus (re-runs reuse the store), then score each mode over all queries."""
    assert isinstance(settings, RetrievalSuiteSettings)
    return to_result(*run_retrieval(settings, data, progress))


def run_retrieval(
    settings: RetrievalSuiteSettings, data: Path, progress: Progress,
) -> tuple[RetrievalRun, dict[str, dict[str, int]]]:
    """The retrieval run itself (per-mode figures, every query) and the relevance judgements."""
    from agentkit.evals.retrieval.loading import load_beir
    from agentkit.evals.corpus_store import default_store_name, index_with_progress, store_config
    from agentkit.evals.retrieval.running import SearchSettings, evaluate, missing_relevant
    from agentkit.rag.chunking import ChunkingConfig
    from agentkit.rag.fusion import FusionConfig
    from agentkit.rag.open import open_index
    from agentkit.rag.rerank import make_reranker
    from agentkit.workspace import find_workspace

    corpus, queries, qrels = (data / settings.corpus, data / settings.queries, data / settings.qrels)
    try:
        chunking = ChunkingConfig(chunk_size=settings.chunk_size, chunk_overlap=settings.chunk_overlap)
    except ValidationError as exc:
        raise ConfigError(f"retrieval settings: {exc.errors()[0]['msg']}\n"
                          "    fix: keep chunk_overlap below chunk_size") from None
    beir = load_beir(corpus, queries, qrels, split=settings.split, limit=settings.limit)
    modes = list(dict.fromkeys(settings.modes))
    search = SearchSettings(depth=settings.depth, fusion=FusionConfig(rrf_k=settings.rrf_k),
                            rerank_depth=settings.rerank_depth)
    if "hybrid+rerank" in modes:
        search.reranker = make_reranker(settings.reranker)
    name = settings.store or default_store_name(corpus, chunking)
    config = store_config(name)
    workspace = find_workspace()
    index = open_index(config, workspace)
    try:
        report = index_with_progress(index, corpus, workspace, chunking, progress, name)
        for mode in modes:
            progress.start(mode, len(beir.queries))
        done: dict[str, list[float]] = {m: [] for m in modes}

        def on_query(mode: Mode, score: object) -> None:
            done[mode].append(getattr(score, "ndcg_at_10"))
            progress.advance(mode, note=f"nDCG@10 {sum(done[mode]) / len(done[mode]):.3f}")

        results = evaluate(index, beir, modes, search, on_query=on_query)
        chunks = index.store.count()
    finally:
        index.store.close()
    run = RetrievalRun(
        n_queries=len(beir.queries),
        settings=RetrievalSettings(
            corpus=str(corpus), queries=str(queries), qrels=str(qrels), split=settings.split,
            limit=settings.limit, documents=len(beir.corpus_ids), chunks=chunks,
            chunk_size=settings.chunk_size, chunk_overlap=settings.chunk_overlap, store=name,
            store_path=str(config.folder(workspace)),
            embeddings=config.embeddings.model or "all-MiniLM-L6-v2 (bundled)",
            fusion=search.fusion.model_dump(), depth=settings.depth,
            reranker=(settings.reranker or "default") if search.reranker else None,
            rerank_depth=settings.rerank_depth if search.reranker else None,
            index_seconds=report.seconds if report.chunks_added else 0.0,
            chunks_embedded=report.chunks_added, skipped_queries=beir.skipped_queries,
            missing_relevant=missing_relevant(beir),
        ),
        modes=results,
        query_text={q.id: q.text for q in beir.queries},
    )
    return run, beir.qrels


def to_result(run: RetrievalRun, qrels: dict[str, dict[str, int]] | None = None) -> EvalResult:
    """A retrieval run in the common format: `<mode>/<metric>` figures, one item per
    (mode, query) with the query's relevance judgements as its expected output."""
    metrics: dict[str, float] = {"n_queries": float(run.n_queries)}
    items = []
    for mode in run.modes:
        metrics |= {f"{mode.mode}/{name}": float(getattr(mode, name)) for name in METRICS}
        metrics[f"{mode.mode}/latency_p50_ms"] = mode.latency_ms.p50
        metrics[f"{mode.mode}/latency_p95_ms"] = mode.latency_ms.p95
        items += [ItemRecord(
            id=q.query_id, group=mode.mode, input={"query": run.query_text.get(q.query_id, "")},
            output={"top_docs": q.top_docs},
            expected={"relevant": qrels[q.query_id]} if qrels and q.query_id in qrels else None,
            scores={name: getattr(q, name) for name in METRICS}, latency_s=q.latency_ms / 1000,
        ) for q in mode.queries]
    settings = run.settings
    search = sum(q.latency_ms for mode in run.modes for q in mode.queries) / 1000
    return EvalResult(
        suite="retrieval", kind="retrieval", created=settings.created,
        config=settings.model_dump(mode="json", exclude={"created"}),
        models={"embeddings": settings.embeddings}
        | ({"reranker": settings.reranker} if settings.reranker else {}),
        timings={"index": settings.index_seconds, "search": search},
        metrics=metrics, items=items,
    )


KIND = EvalKind(name="retrieval", settings=RetrievalSuiteSettings,
                base_metrics=(*METRICS, *LATENCIES, "n_queries"),
                lower_is_better=frozenset(LATENCIES), run=run)

"""Multi-hop retrieval as an eval kind: index the documents into an embedded store, build
the store's knowledge graph when a graph mode runs, search every question in each mode,
and report support recall (and, with `answer`, EM/F1) in the common result format."""

from __future__ import annotations

import time
from pathlib import Path
from statistics import fmean
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agentkit.errors import ConfigError
from agentkit.evals.kinds import EvalKind, Progress
from agentkit.evals.multihop.html import write_multihop_html
from agentkit.evals.multihop.loading import DOCUMENTS, QUESTIONS
from agentkit.evals.multihop.running import DEPTH, GRAPH_MODES, MODES, Mode, QuestionResult
from agentkit.evals.results import EvalResult, ItemRecord
from agentkit.models.config import ChatModelConfig

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from agentkit.graphrag.local_search import GraphSearcher
    from agentkit.rag.config import StoreConfig
    from agentkit.rag.document_index import DocumentIndex

RETRIEVAL = ("recall_at_2", "recall_at_5", "all_support_at_5")
ANSWERS = ("exact_match", "f1")
LATENCIES = ("latency_p50_ms", "latency_p95_ms")
METRICS = (*RETRIEVAL, *ANSWERS, "fallback_rate", "n", *LATENCIES)


class MultihopSettings(BaseModel):
    """How a multi-hop suite runs; file names are relative to the data folder."""

    model_config = ConfigDict(extra="forbid")

    documents: str = DOCUMENTS
    questions: str = QUESTIONS
    modes: list[Mode] = Field(default_factory=lambda: list(MODES), min_length=1)
    extractor: Literal["lexical", "llm"] = Field("lexical", description="graph modes: who finds the entities")
    llm: str | None = Field(None, description="llm extractor: model folder, .gguf or hub id")
    limit: int | None = Field(default=None, ge=1, description="at most N questions (the first N)")
    chunk_size: int = Field(default=200, ge=1)
    chunk_overlap: int = Field(default=30, ge=0)
    rrf_k: int = Field(default=60, ge=1)
    depth: int = Field(default=DEPTH, ge=5, description="chunks retrieved per question")
    store: str | None = Field(default=None, description="default: derived from the documents path and chunking")
    answer: bool = Field(False, description="generate short answers and score EM/F1")
    answer_model: str | None = Field(None, description="answers: model folder, .gguf or hub id (default: bundled)")
    passages: int = Field(default=5, ge=1, description="answers: passages given to the model")
    max_tokens: int = Field(default=24, ge=1, description="answers: most tokens per answer")


def run(settings: BaseModel, data: Path, progress: Progress) -> EvalResult:
    """Load and index the data (re-runs reuse the store and graph), then score each mode."""
    assert isinstance(settings, MultihopSettings)
    from agentkit.evals.corpus_store import default_store_name, index_with_progress, store_config
    from agentkit.evals.multihop.loading import load_multihop
    from agentkit.evals.multihop.running import Searchers, evaluate
    from agentkit.rag.chunking import ChunkingConfig
    from agentkit.rag.fusion import FusionConfig
    from agentkit.rag.open import open_index
    from agentkit.workspace import find_workspace

    try:
        chunking = ChunkingConfig(chunk_size=settings.chunk_size, chunk_overlap=settings.chunk_overlap)
    except ValidationError as exc:
        raise ConfigError(f"multihop settings: {exc.errors()[0]['msg']}\n"
                          "    fix: keep chunk_overlap below chunk_size") from None
    modes = list(dict.fromkeys(settings.modes))
    loaded = load_multihop(data, documents=settings.documents, questions=settings.questions,
                           limit=settings.limit)
    name = settings.store or default_store_name(loaded.documents, chunking, prefix="multihop")
    config = store_config(name)
    workspace = find_workspace()
    model = _answer_model(settings) if settings.answer else None
    timings: dict[str, float] = {}
    graph_facts: dict[str, object] = {}
    index = open_index(config, workspace)
    try:
        report = index_with_progress(index, loaded.documents, workspace, chunking, progress, name)
        timings["index"] = report.seconds if report.chunks_added or report.chunks_deleted else 0.0
        searchers = Searchers(index, fusion=FusionConfig(rrf_k=settings.rrf_k), depth=settings.depth)
        if GRAPH_MODES.intersection(modes):
            started = time.perf_counter()
            searchers.graph, graph_facts = _graph_searcher(settings, config, workspace, index, progress)
            timings["graph"] = time.perf_counter() - started
        for mode in modes:
            progress.start(mode, len(loaded.questions))
        done: dict[str, list[float]] = {m: [] for m in modes}

        def on_question(result: QuestionResult) -> None:
            done[result.mode].append(result.scores["recall_at_5"])
            progress.advance(result.mode, note=f"recall@5 {fmean(done[result.mode]):.3f}")

        results = evaluate(searchers, loaded.questions, modes, model, settings.passages, on_question)
        chunks = index.store.count()
    finally:
        index.store.close()
    timings["search"] = sum(r.latency_ms for r in results) / 1000
    if model is not None:
        timings["answers"] = sum(r.answer_seconds or 0.0 for r in results)
    settings_used = settings.model_dump(exclude={"documents", "questions"})
    return EvalResult(
        suite="multihop", kind="multihop",
        config={"data": str(data), "documents": len(loaded.titles), "questions": len(loaded.questions),
                "chunks": chunks, **settings_used, "modes": modes, "store": name,
                "store_path": str(config.folder(workspace)), **graph_facts},
        models={"embeddings": config.embeddings.model or "all-MiniLM-L6-v2 (bundled)"}
        | ({"answers": settings.answer_model or "SmolLM2-135M-Instruct (bundled)"} if model else {}),
        prompts=_prompts(model is not None), timings=timings,
        metrics=mode_metrics(results, modes), items=[_item(r, loaded.titles) for r in results],
    )


def mode_metrics(results: list[QuestionResult], modes: list[Mode]) -> dict[str, float]:
    """`<mode>/<metric>`: means over the questions, their count, latency percentiles."""
    from agentkit.evals.retrieval.results import Latency

    metrics: dict[str, float] = {}
    for mode in modes:
        rows = [r for r in results if r.mode == mode]
        names = list(dict.fromkeys(k for r in rows for k in r.scores))
        metrics |= {f"{mode}/{'fallback_rate' if k == 'fallback' else k}": fmean(r.scores[k] for r in rows)
                    for k in names}
        metrics[f"{mode}/n"] = float(len(rows))
        latency = Latency.of([r.latency_ms for r in rows])
        metrics[f"{mode}/latency_p50_ms"], metrics[f"{mode}/latency_p95_ms"] = latency.p50, latency.p95
    return metrics


def _graph_searcher(settings: MultihopSettings, config: StoreConfig, workspace: Path, index: DocumentIndex,
                    progress: Progress) -> tuple[GraphSearcher, dict[str, object]]:
    """Bring the store's knowledge graph up to date, load it, and search over it."""
    from agentkit.graphrag.build import BuildCallbacks
    from agentkit.graphrag.extractors import make_extractor
    from agentkit.graphrag.knowledge_graph import load_knowledge_graph
    from agentkit.graphrag.local_search import GraphSearcher, SearchConfig
    from agentkit.graphrag.workspace import update_store_graph

    extractor = make_extractor(settings.extractor, settings.llm, None, workspace)
    task = f"knowledge graph ({settings.extractor})"
    progress.start(task, None)
    report = update_store_graph(config, workspace, extractor, callbacks=BuildCallbacks(
        planned=lambda new, removed: progress.start(task, new),
        extracted=lambda n: progress.advance(task, n),
        phase=lambda name: progress.advance(task, 0, note=f"deriving the graph: {name}")))
    progress.log(f"graph of store {config.name!r}: {report.summary()}")
    kg = load_knowledge_graph(config, workspace)
    meta = kg.meta
    facts = {"extractor_version": meta.extractor_version, "graph_entities": meta.entities,
             "graph_relations": meta.relations, "graph_communities": meta.communities,
             "graph_seconds": report.seconds, "graph_chunks_extracted": report.extracted}
    return GraphSearcher(kg.graph, index, SearchConfig(rrf_k=settings.rrf_k)), facts


def _answer_model(settings: MultihopSettings) -> BaseChatModel:
    from agentkit.models.factory import get_chat_model  # loads torch

    return get_chat_model(ChatModelConfig(model=settings.answer_model, max_tokens=settings.max_tokens))


def _prompts(answering: bool) -> dict[str, str]:
    if not answering:
        return {}
    from agentkit.evals.multihop.answering import SHORT_ANSWER

    return {SHORT_ANSWER.name: SHORT_ANSWER.version}


def _item(result: QuestionResult, titles: dict[str, str]) -> ItemRecord:
    q = result.question
    output: dict[str, object] = {"top_docs": result.documents,
                                 "top_titles": [titles.get(d, "") for d in result.documents]}
    if result.fallback:
        output["fallback"] = result.fallback
    if result.answer is not None:
        output["answer"] = result.answer
    return ItemRecord(
        id=q.id, group=result.mode, input={"question": q.text}, output=output,
        expected={"supporting_doc_ids": list(q.supporting),
                  "supporting_titles": [titles.get(d, "") for d in q.supporting], "answers": list(q.answers)},
        scores=result.scores, latency_s=result.latency_ms / 1000,
    )


KIND = EvalKind(name="multihop", settings=MultihopSettings, base_metrics=METRICS,
                lower_is_better=frozenset(LATENCIES), run=run, html=write_multihop_html)

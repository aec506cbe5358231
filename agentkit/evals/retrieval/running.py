"""Index a BEIR corpus into an embedded store, then search every query in each mode.

Each query retrieves `depth` chunks; chunks become documents at the rank of their best
chunk before scoring. `hybrid+rerank` reranks the first `rerank_depth` chunks of the
hybrid ranking and keeps the rest after them (so recall@100 stays comparable). Latency
is the wall time of the search, query embedding (and reranking) included.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from agentkit.errors import ConfigError
from agentkit.evals.retrieval.loading import BeirData, Query
from agentkit.evals.retrieval.metrics import documents_by_best_rank, query_metrics
from agentkit.evals.retrieval.results import Mode, ModeResult, QueryScore
from agentkit.rag.chunks import Hit
from agentkit.rag.document_index import DocumentIndex
from agentkit.rag.fusion import FusionConfig

if TYPE_CHECKING:
    from agentkit.rag.rerank import Reranker

DEPTH = 200  # chunks per query: enough documents for recall@100 after aggregation
RERANK_DEPTH = 30


@dataclass
class SearchSettings:
    """How each query is searched."""

    depth: int = DEPTH
    fusion: FusionConfig = field(default_factory=FusionConfig)
    reranker: "Reranker | None" = None
    rerank_depth: int = RERANK_DEPTH


def search(index: DocumentIndex, query: str, mode: Mode, settings: SearchSettings) -> list[Hit]:
    """The best `settings.depth` chunks for `query` in `mode`."""
    if mode != "hybrid+rerank":
        return index.search(query, mode=mode, k=settings.depth, fusion=settings.fusion)
    if settings.reranker is None:
        raise ConfigError("mode hybrid+rerank needs a reranker")
    hits = index.search(query, mode="hybrid", k=max(settings.depth, settings.rerank_depth),
                        fusion=settings.fusion)
    head = settings.reranker.rerank(query, hits[:settings.rerank_depth], settings.rerank_depth)
    return [*head, *hits[settings.rerank_depth:]]


def score_query(
    index: DocumentIndex, query: Query, relevance: dict[str, int], mode: Mode,
    settings: SearchSettings,
) -> QueryScore:
    """Search one query (timed) and score its document ranking."""
    started = time.perf_counter()
    hits = search(index, query.text, mode, settings)
    latency_ms = (time.perf_counter() - started) * 1000
    ranking = documents_by_best_rank(hit.chunk.doc_id for hit in hits)
    return QueryScore(query_id=query.id, latency_ms=latency_ms, top_docs=ranking[:10],
                      **query_metrics(ranking, relevance))


def run_mode(
    index: DocumentIndex, mode: Mode, data: BeirData, settings: SearchSettings,
) -> Iterator[QueryScore]:
    """Score every query in `mode`, one at a time (a generator, for progress). One
    untimed search first loads what the mode needs (BM25 index, vectors, reranker)."""
    if data.queries:
        search(index, data.queries[0].text, mode, settings)
    for query in data.queries:
        yield score_query(index, query, data.qrels[query.id], mode, settings)


def evaluate(
    index: DocumentIndex, data: BeirData, modes: Sequence[Mode], settings: SearchSettings,
    on_query: Callable[[Mode, QueryScore], None] | None = None,
) -> list[ModeResult]:
    """Every mode over every query, mode after mode."""
    results = []
    for mode in modes:
        scores = []
        for score in run_mode(index, mode, data, settings):
            scores.append(score)
            if on_query:
                on_query(mode, score)
        results.append(ModeResult.from_queries(mode, scores))
    return results


def missing_relevant(data: BeirData) -> int:
    """Relevant (query, document) pairs whose document is not in the corpus."""
    return sum(1 for judged in data.qrels.values() for doc, rel in judged.items()
               if rel > 0 and doc not in data.corpus_ids)

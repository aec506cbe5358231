"""Search every question in each mode and score the documents it finds.

Modes: `hybrid` (the store's BM25 + dense search fused), `graph` (personalized PageRank
over the store's knowledge graph from the question's entities) and `graph+hybrid` (both
fused by reciprocal rank). Each question retrieves `depth` chunks, which count as
documents at the rank of their best chunk. Latency is the wall time of the search,
query embedding and entity linking included; answering is timed apart.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from langchain_core.language_models import BaseChatModel

from agentkit.evals.multihop.answering import answer
from agentkit.evals.multihop.loading import Question
from agentkit.evals.multihop.metrics import exact_match, retrieval_scores, token_f1
from agentkit.evals.retrieval.metrics import documents_by_best_rank
from agentkit.rag.chunks import Hit
from agentkit.rag.document_index import DocumentIndex
from agentkit.rag.fusion import FusionConfig

if TYPE_CHECKING:
    from agentkit.graphrag.local_search import GraphSearcher

Mode = Literal["hybrid", "graph", "graph+hybrid"]
MODES: tuple[Mode, ...] = ("hybrid", "graph", "graph+hybrid")
GRAPH_MODES = frozenset({"graph", "graph+hybrid"})
DEPTH = 20  # chunks per question: several chunks of one document still leave 5 documents
TOP_DOCS = 10


@dataclass
class Searchers:
    """What the modes search: the store, and its knowledge graph for the graph modes."""

    index: DocumentIndex
    graph: "GraphSearcher | None" = None
    fusion: FusionConfig = FusionConfig()
    depth: int = DEPTH

    def search(self, question: str, mode: Mode) -> tuple[list[Hit], str | None]:
        """The best `depth` chunks in `mode`, and why graph search fell back (None: it did not)."""
        if mode == "hybrid":
            return self.index.search(question, mode="hybrid", k=self.depth, fusion=self.fusion), None
        if self.graph is None:
            raise ValueError(f"mode {mode} needs the store's knowledge graph")
        found = (self.graph.local(question, k=self.depth) if mode == "graph"
                 else self.graph.hybrid(question, k=self.depth, depth=self.depth))
        return found.hits, found.fallback


@dataclass
class QuestionResult:
    """One question in one mode: the documents found, their scores, the answer if asked."""

    question: Question
    mode: Mode
    documents: list[str]  # the first TOP_DOCS document ids, best first
    scores: dict[str, float]
    latency_ms: float
    fallback: str | None = None
    answer: str | None = None
    answer_seconds: float | None = None


def score_question(searchers: Searchers, question: Question, mode: Mode,
                   model: BaseChatModel | None, passages: int) -> QuestionResult:
    """Search one question (timed), score its documents, and answer it when `model` is given."""
    started = time.perf_counter()
    hits, fallback = searchers.search(question.text, mode)
    latency_ms = (time.perf_counter() - started) * 1000
    ranking = documents_by_best_rank(hit.chunk.doc_id for hit in hits)
    scores = retrieval_scores(ranking, question.supporting)
    if mode in GRAPH_MODES:
        scores["fallback"] = float(fallback is not None)
    result = QuestionResult(question, mode, ranking[:TOP_DOCS], scores, latency_ms, fallback)
    if model is not None:
        started = time.perf_counter()
        result.answer = answer(model, question.text, hits[:passages])
        result.answer_seconds = time.perf_counter() - started
        scores["exact_match"] = exact_match(result.answer, question.answers)
        scores["f1"] = token_f1(result.answer, question.answers)
    return result


def run_mode(searchers: Searchers, questions: Sequence[Question], mode: Mode,
             model: BaseChatModel | None = None, passages: int = 5) -> Iterator[QuestionResult]:
    """Every question in `mode`, one at a time (a generator, for progress). One untimed
    search first loads what the mode needs (BM25 index, vectors, the graph's matrix)."""
    if questions:
        searchers.search(questions[0].text, mode)
    for question in questions:
        yield score_question(searchers, question, mode, model, passages)


def evaluate(searchers: Searchers, questions: Sequence[Question], modes: Sequence[Mode],
             model: BaseChatModel | None = None, passages: int = 5,
             on_question: Callable[[QuestionResult], None] | None = None) -> list[QuestionResult]:
    """Every mode over every question, mode after mode."""
    results = []
    for mode in modes:
        for result in run_mode(searchers, questions, mode, model, passages):
            results.append(result)
            if on_question:
                on_question(result)
    return results

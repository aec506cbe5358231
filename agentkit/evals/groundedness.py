"""Answer-level RAG eval on HaluEval QA: the grounding checker, then self-RAG answers.

1. Checker: does `groundedness` score each item's reference answer above its
   hallucinated answers (ROC AUC), and how many of each pass the threshold?
2. Self-RAG: every item's context becomes a document of one store; each question runs
   through the self-RAG graph over the whole store. Per answer: was the item's own
   context retrieved, did the graph answer or abstain, how grounded is the answer, and
   does it contain the reference answer.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Callable

import numpy as np
from pydantic import BaseModel

from agentkit.errors import ConfigError
from agentkit.jsonl import json_lines
from agentkit.rag.grounding import ABSTAIN, QUOTE_PREFIX, groundedness

HALLUCINATED = ("hallucinated_answer_one_turn", "hallucinated_answer_multi_turn")


class QAItem(BaseModel):
    """One HaluEval QA record."""

    id: str
    question: str
    context: str
    reference_answer: str
    hallucinated_answer_one_turn: str
    hallucinated_answer_multi_turn: str


def load_items(path: Path) -> list[QAItem]:
    """HaluEval QA JSON Lines; a bad line is an error naming file and line."""
    items = []
    for number, row in json_lines(path, "HaluEval QA data", "give a UTF-8 JSON Lines file such as qa_300.jsonl"):
        try:
            items.append(QAItem.model_validate(row))
        except ValueError as exc:
            raise ConfigError(f"{path}:{number}: not a HaluEval QA record ({exc}); each line needs "
                              f"id, question, context, reference_answer and {' and '.join(HALLUCINATED)}") from exc
    return items


class CheckerScore(BaseModel):
    """How well the grounding score separates reference from hallucinated answers."""

    n: int
    auc: dict[str, float]
    threshold: float
    reference_passing: float
    hallucinated_passing: dict[str, float]


def auc(positives: list[float], negatives: list[float]) -> float:
    """P(a random positive scores above a random negative), ties counting half."""
    pos, neg = np.asarray(positives)[:, None], np.asarray(negatives)[None, :]
    return float(((pos > neg) + 0.5 * (pos == neg)).mean())


def score_checker(items: list[QAItem], threshold: float) -> CheckerScore:
    """The checker's AUC and pass rates at `threshold` (reference vs each hallucination)."""
    reference = [groundedness(i.reference_answer, [i.context]).score for i in items]
    invented = {key: [groundedness(getattr(i, key), [i.context]).score for i in items] for key in HALLUCINATED}
    return CheckerScore(
        n=len(items), threshold=threshold,
        auc={key: auc(reference, scores) for key, scores in invented.items()},
        reference_passing=float(np.mean([s >= threshold for s in reference])),
        hallucinated_passing={key: float(np.mean([s >= threshold for s in scores])) for key, scores in invented.items()},
    )


class AnswerRecord(BaseModel):
    """One question through the self-RAG graph."""

    id: str
    retrieved_own_context: bool
    answered: bool
    quoted: bool
    grounding: float
    contains_reference: bool
    answer: str
    seconds: float


class AnswerScore(BaseModel):
    """Rates over the questions: how each was answered, and how often correctly."""

    n: int
    retrieval_hit_rate: float
    answered_rate: float
    generated_grounded_rate: float
    quoted_rate: float
    abstained_rate: float
    contains_reference_rate: float
    contains_reference_rate_of_answered: float
    mean_seconds: float


def score_answers(records: list[AnswerRecord]) -> AnswerScore:
    """Aggregate the per-question records."""
    answered = [r for r in records if r.answered]
    return AnswerScore(
        n=len(records),
        retrieval_hit_rate=float(np.mean([r.retrieved_own_context for r in records])),
        answered_rate=len(answered) / len(records),
        generated_grounded_rate=float(np.mean([r.answered and not r.quoted for r in records])),
        quoted_rate=float(np.mean([r.quoted for r in records])),
        abstained_rate=1.0 - len(answered) / len(records),
        contains_reference_rate=float(np.mean([r.contains_reference for r in records])),
        contains_reference_rate_of_answered=float(np.mean([r.contains_reference for r in answered])) if answered else 0.0,
        mean_seconds=float(np.mean([r.seconds for r in records])),
    )


def answer_questions(
    items: list[QAItem], graph: Path, store_name: str, workspace: Path,
    progress: Callable[[AnswerRecord], None] | None = None,
) -> list[AnswerRecord]:
    """Index every context into `store_name`, then run each question through `graph`
    with that store as its `docs` resource."""
    from agentkit.engine.compiler import load_graph
    from agentkit.rag.config import StoreConfig
    from agentkit.rag.open import open_index

    index = open_index(StoreConfig(name=store_name), workspace)
    corpus = StoreConfig(name=store_name).folder(workspace) / "halueval_contexts.jsonl"
    corpus.write_text("".join(json.dumps({"_id": i.id, "title": "", "text": i.context}) + "\n" for i in items))
    index.index([corpus], workspace)
    compiled = load_graph(graph, resources={"docs": index}, workspace=workspace)
    records = []
    for item in items:
        started = time.perf_counter()
        state = compiled.invoke({"question": item.question})
        answer = str(state.get("answer", ""))
        retrieved = {h.chunk.doc_id for h in index.search(item.question, k=4)}
        record = AnswerRecord(
            id=item.id, retrieved_own_context=item.id in retrieved, answered=not answer.startswith(ABSTAIN),
            quoted=answer.startswith(QUOTE_PREFIX),
            grounding=float(state.get("grounding") or 0.0),
            contains_reference=item.reference_answer.lower() in answer.lower(),
            answer=answer, seconds=time.perf_counter() - started,
        )
        records.append(record)
        if progress:
            progress(record)
    return records

"""Groundedness as an eval kind: the grounding checker on every item, then self-RAG
answers for the first `limit` questions, in the common result format."""

from __future__ import annotations

import time
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from agentkit.errors import ConfigError
from agentkit.evals.groundedness import (
    HALLUCINATED, AnswerRecord, QAItem, answer_questions, load_items, score_answers, score_checker,
)
from agentkit.evals.kinds import EvalKind, Progress
from agentkit.evals.results import EvalResult, ItemRecord
from agentkit.evals.suite import SuitePath
from agentkit.rag.grounding import groundedness

SHORT = {"hallucinated_answer_one_turn": "one_turn", "hallucinated_answer_multi_turn": "multi_turn"}
CHECKER = ("auc_one_turn", "auc_multi_turn", "reference_passing",
           "hallucinated_passing_one_turn", "hallucinated_passing_multi_turn")
ANSWERS = ("retrieval_hit_rate", "answered_rate", "generated_grounded_rate", "quoted_rate",
           "abstained_rate", "contains_reference_rate", "contains_reference_rate_of_answered",
           "mean_seconds")


class GroundednessSettings(BaseModel):
    """How a groundedness suite runs; a `graph` the suite sets is relative to the suite
    file (the default, to the working folder)."""

    model_config = ConfigDict(extra="forbid")

    limit: int = Field(default=30, ge=0, description="questions run through the graph (0: checker only)")
    graph: SuitePath = Field(default="graphs/self_rag.yaml", description="self-RAG graph; its `docs` store is replaced")
    threshold: float = Field(default=0.8, ge=0, le=1, description="checker: least groundedness counted as grounded")
    store: str = "halueval"


def run(settings: BaseModel, data: Path, progress: Progress) -> EvalResult:
    """Score the checker on every item, then answer the first `limit` questions."""
    assert isinstance(settings, GroundednessSettings)
    if not data.is_file():
        raise ConfigError(f"data {data}: no such file\n    fix: give a HaluEval QA .jsonl file")
    items = load_items(data)
    if not items:
        raise ConfigError(f"data {data}: no items\n    fix: give a HaluEval QA .jsonl file with one item per line")
    started = time.perf_counter()
    checker = score_checker(items, settings.threshold)
    metrics = {f"checker/auc_{SHORT[k]}": v for k, v in checker.auc.items()}
    metrics |= {"checker/reference_passing": checker.reference_passing, "checker/n": float(checker.n)}
    metrics |= {f"checker/hallucinated_passing_{SHORT[k]}": v for k, v in checker.hallucinated_passing.items()}
    records = [_checker_record(item) for item in items]
    timings = {"checker": time.perf_counter() - started}
    if settings.limit:
        from agentkit.workspace import find_workspace

        graph = Path(settings.graph)
        if not graph.is_file():
            raise ConfigError(f"graph {graph}: no such file\n    fix: set `graph:` to a self-RAG graph file")
        started = time.perf_counter()
        asked = items[:settings.limit]
        progress.start("self-RAG answers", len(asked))
        answers = answer_questions(asked, graph, settings.store, find_workspace(),
                                   lambda record: progress.advance("self-RAG answers"))
        timings["answers"] = time.perf_counter() - started
        figures = score_answers(answers)
        metrics |= {f"answers/{k}": float(v) for k, v in figures.model_dump().items()}
        by_id = {item.id: item for item in asked}
        records += [_answer_record(a, by_id[a.id]) for a in answers]
    return EvalResult(suite="groundedness", kind="groundedness",
                      config={"data": str(data), **settings.model_dump()},
                      metrics=metrics, timings=timings, items=records)


def _checker_record(item: QAItem) -> ItemRecord:
    scores = {"reference": groundedness(item.reference_answer, [item.context]).score}
    scores |= {SHORT[k]: groundedness(getattr(item, k), [item.context]).score for k in HALLUCINATED}
    return ItemRecord(id=item.id, group="checker",
                      input={"question": item.question, "context": item.context},
                      output={k: getattr(item, k) for k in HALLUCINATED},
                      expected={"reference_answer": item.reference_answer}, scores=scores)


def _answer_record(record: AnswerRecord, item: QAItem) -> ItemRecord:
    return ItemRecord(
        id=record.id, group="answers", input={"question": item.question},
        output={"answer": record.answer}, expected={"reference_answer": item.reference_answer},
        scores={"retrieved_own_context": float(record.retrieved_own_context),
                "answered": float(record.answered), "quoted": float(record.quoted),
                "grounding": record.grounding, "contains_reference": float(record.contains_reference)},
        latency_s=record.seconds,
    )


KIND = EvalKind(name="groundedness", settings=GroundednessSettings,
                base_metrics=(*CHECKER, *ANSWERS, "n"), lower_is_better=frozenset({"mean_seconds"}),
                run=run)

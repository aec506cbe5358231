"""What a retrieval eval produces: per-query scores, per-mode figures, the whole run."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from statistics import fmean
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, Field, ValidationError

from agentkit.errors import AgentkitError

MODES = ("bm25", "dense", "hybrid", "hybrid+rerank")
Mode = Literal["bm25", "dense", "hybrid", "hybrid+rerank"]
METRICS = ("ndcg_at_10", "recall_at_10", "recall_at_100", "mrr_at_10")
METRIC_LABELS = {"ndcg_at_10": "nDCG@10", "recall_at_10": "recall@10",
                 "recall_at_100": "recall@100", "mrr_at_10": "MRR@10"}


class QueryScore(BaseModel):
    """One query in one mode: its figures, its latency, its first documents."""

    query_id: str
    ndcg_at_10: float = Field(ge=0, le=1)
    recall_at_10: float = Field(ge=0, le=1)
    recall_at_100: float = Field(ge=0, le=1)
    mrr_at_10: float = Field(ge=0, le=1)
    latency_ms: float = Field(ge=0, description="search time, query embedding included")
    top_docs: list[str] = Field(default_factory=list, description="the first 10 document ids")


class Latency(BaseModel):
    """Per-query search latency in milliseconds."""

    p50: float
    p95: float
    p99: float
    mean: float
    max: float

    @classmethod
    def of(cls, samples_ms: Sequence[float]) -> Latency:
        """Percentiles (linear interpolation) of the samples; zeros when there are none."""
        if not samples_ms:
            return cls(p50=0.0, p95=0.0, p99=0.0, mean=0.0, max=0.0)
        p50, p95, p99 = np.percentile(np.asarray(samples_ms, dtype=float), [50, 95, 99])
        return cls(p50=float(p50), p95=float(p95), p99=float(p99), mean=fmean(samples_ms),
                   max=float(max(samples_ms)))


class ModeResult(BaseModel):
    """One search mode over all queries: mean figures, latency, and every query."""

    mode: Mode
    n_queries: int
    ndcg_at_10: float = Field(ge=0, le=1)
    recall_at_10: float = Field(ge=0, le=1)
    recall_at_100: float = Field(ge=0, le=1)
    mrr_at_10: float = Field(ge=0, le=1)
    latency_ms: Latency
    queries: list[QueryScore]

    @classmethod
    def from_queries(cls, mode: Mode, queries: Sequence[QueryScore]) -> ModeResult:
        """Means over the queries (zeros when there are none)."""
        means = {name: fmean(getattr(q, name) for q in queries) if queries else 0.0
                 for name in METRICS}
        return cls(mode=mode, n_queries=len(queries), latency_ms=Latency.of(
            [q.latency_ms for q in queries]), queries=list(queries), **means)


class RetrievalSettings(BaseModel):
    """How the run was made (enough to repeat it)."""

    corpus: str
    queries: str
    qrels: str
    split: str | None
    limit: int | None
    documents: int = Field(description="documents in the corpus")
    chunks: int = Field(description="chunks in the store")
    chunk_size: int
    chunk_overlap: int
    store: str
    store_path: str
    embeddings: str
    fusion: dict[str, Any]
    depth: int = Field(description="chunks retrieved per query before aggregating to documents")
    reranker: str | None = None
    rerank_depth: int | None = None
    index_seconds: float = Field(description="time this run spent indexing (0: store reused)")
    chunks_embedded: int = Field(description="chunks this run embedded (0: store reused)")
    skipped_queries: int = Field(0, description="queries without a relevant document in qrels")
    missing_relevant: int = Field(0, description="relevant (query, doc) pairs whose doc is not "
                                  "in the corpus")
    created: datetime = Field(default_factory=lambda: datetime.now(timezone.utc))


class RetrievalRun(BaseModel):
    """A whole run (the `--json` file)."""

    benchmark: Literal["retrieval"] = "retrieval"
    n_queries: int
    settings: RetrievalSettings
    modes: list[ModeResult]
    query_text: dict[str, str] = Field(default_factory=dict, description="query id -> text")

    def mode(self, name: str) -> ModeResult:
        """The result of one mode (KeyError if it was not run)."""
        for result in self.modes:
            if result.mode == name:
                return result
        raise KeyError(name)

    def save(self, path: Path) -> None:
        """Write the run as indented JSON (folders created as needed)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.model_dump_json(indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> RetrievalRun:
        """Read a run written by `save` (clear error if it is not one)."""
        try:
            return cls.model_validate_json(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise AgentkitError(f"cannot read run file {path}: {exc.strerror}") from None
        except ValidationError as exc:
            raise AgentkitError(
                f"{path} is not a retrieval run file ({exc.error_count()} problems, first: "
                f"{'.'.join(map(str, exc.errors()[0]['loc']))}: {exc.errors()[0]['msg']})\n"
                "    fix: pass a file written by `agentkit eval retrieval --json`"
            ) from None

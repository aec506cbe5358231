"""Fusing ranked lists: reciprocal rank fusion, or a weighted sum of normalized scores."""

from __future__ import annotations

from typing import Literal, Mapping, Sequence

from pydantic import BaseModel, ConfigDict, Field

Ranking = Sequence[tuple[str, float]]  # (id, score), best first


class FusionConfig(BaseModel):
    """How hybrid search merges its lexical and dense rankings."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    method: Literal["rrf", "weighted"] = Field("rrf", description="reciprocal rank, or weighted normalized scores")
    rrf_k: int = Field(60, ge=1, description="rrf: the k in 1 / (k + rank)")
    alpha: float = Field(0.5, ge=0.0, le=1.0, description="weighted: weight of dense (1 - alpha goes to bm25)")


def reciprocal_rank(rankings: Mapping[str, Ranking], k: int = 60) -> dict[str, float]:
    """Sum over rankings of 1 / (k + rank), rank counted from 1."""
    fused: dict[str, float] = {}
    for ranking in rankings.values():
        for rank, (item, _) in enumerate(ranking, start=1):
            fused[item] = fused.get(item, 0.0) + 1.0 / (k + rank)
    return fused


def min_max(ranking: Ranking) -> dict[str, float]:
    """Scores scaled to [0, 1] within one ranking (all equal -> 1)."""
    if not ranking:
        return {}
    values = [score for _, score in ranking]
    low, high = min(values), max(values)
    span = high - low
    return {item: (score - low) / span if span > 0 else 1.0 for item, score in ranking}


def weighted(rankings: Mapping[str, Ranking], weights: Mapping[str, float]) -> dict[str, float]:
    """Weighted sum of min-max normalized scores; a missing item counts 0 in that ranking."""
    fused: dict[str, float] = {}
    for name, ranking in rankings.items():
        for item, score in min_max(ranking).items():
            fused[item] = fused.get(item, 0.0) + weights.get(name, 0.0) * score
    return fused


def fuse(lexical: Ranking, dense: Ranking, config: FusionConfig) -> list[tuple[str, float]]:
    """Both rankings merged by `config`, best first (ties keep the lexical order)."""
    rankings = {"bm25": lexical, "dense": dense}
    if config.method == "rrf":
        fused = reciprocal_rank(rankings, config.rrf_k)
    else:
        fused = weighted(rankings, {"bm25": 1.0 - config.alpha, "dense": config.alpha})
    return sorted(fused.items(), key=lambda pair: -pair[1])

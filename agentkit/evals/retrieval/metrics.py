"""Ranking metrics, computed from scratch as trec_eval / BEIR define them.

`ranking` is a list of document ids, best first, without repeats (see
`documents_by_best_rank`); `relevance` maps document ids to graded judgements, where a
score above 0 is relevant. A query without a relevant document scores 0 everywhere.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence


def documents_by_best_rank(doc_ids: Iterable[str]) -> list[str]:
    """Chunk-level results as documents: each document at the rank of its best chunk
    (its first occurrence), later chunks of the same document dropped."""
    return list(dict.fromkeys(doc_ids))


def dcg_at_k(gains: Sequence[float], k: int) -> float:
    """Discounted cumulative gain: sum of gain_i / log2(i + 1), i counted from 1."""
    return sum(gain / math.log2(rank + 1) for rank, gain in enumerate(gains[:k], start=1))


def ndcg_at_k(ranking: Sequence[str], relevance: Mapping[str, int], k: int = 10) -> float:
    """nDCG@k with graded gains (the judgement itself, as trec_eval's ndcg_cut) and the
    ideal ranking taken from all judged-relevant documents."""
    gains = [max(relevance.get(doc, 0), 0) for doc in ranking[:k]]
    ideal = dcg_at_k(sorted((r for r in relevance.values() if r > 0), reverse=True), k)
    return dcg_at_k(gains, k) / ideal if ideal > 0 else 0.0


def recall_at_k(ranking: Sequence[str], relevance: Mapping[str, int], k: int) -> float:
    """Share of the relevant documents found in the first k."""
    relevant = {doc for doc, r in relevance.items() if r > 0}
    if not relevant:
        return 0.0
    return len(relevant.intersection(ranking[:k])) / len(relevant)


def mrr_at_k(ranking: Sequence[str], relevance: Mapping[str, int], k: int = 10) -> float:
    """1 / rank of the first relevant document within the first k (0 if none)."""
    for rank, doc in enumerate(ranking[:k], start=1):
        if relevance.get(doc, 0) > 0:
            return 1.0 / rank
    return 0.0


def query_metrics(ranking: Sequence[str], relevance: Mapping[str, int]) -> dict[str, float]:
    """The figures the eval reports for one query."""
    return {
        "ndcg_at_10": ndcg_at_k(ranking, relevance, 10),
        "recall_at_10": recall_at_k(ranking, relevance, 10),
        "recall_at_100": recall_at_k(ranking, relevance, 100),
        "mrr_at_10": mrr_at_k(ranking, relevance, 10),
    }

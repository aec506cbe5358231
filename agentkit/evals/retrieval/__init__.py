"""Retrieval eval on BEIR data: load corpus, queries and qrels, index the corpus into an
embedded store, search each query by bm25, dense, hybrid and hybrid+rerank, score the
document rankings (nDCG@10, recall@10/100, MRR@10) and latency, report in the common eval result format (`suite.py`)."""

from agentkit.evals.retrieval.loading import BeirData, Query, RetrievalDataError, load_beir
from agentkit.evals.retrieval.metrics import (
    documents_by_best_rank,
    mrr_at_k,
    ndcg_at_k,
    query_metrics,
    recall_at_k,
)
from agentkit.evals.retrieval.results import MODES, Latency, ModeResult, QueryScore, RetrievalRun
from agentkit.evals.corpus_store import default_store_name
from agentkit.evals.retrieval.running import SearchSettings, evaluate, run_mode

__all__ = [
    "MODES",
    "BeirData",
    "Latency",
    "ModeResult",
    "Query",
    "QueryScore",
    "RetrievalDataError",
    "RetrievalRun",
    "SearchSettings",
    "default_store_name",
    "documents_by_best_rank",
    "evaluate",
    "load_beir",
    "mrr_at_k",
    "ndcg_at_k",
    "query_metrics",
    "recall_at_k",
    "run_mode",
]

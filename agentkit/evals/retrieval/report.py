"""Show a retrieval run as a rich table: one row per search mode."""

from __future__ import annotations

from rich import box
from rich.table import Table

from agentkit.evals.retrieval.results import ModeResult, RetrievalRun


def scores_table(run: RetrievalRun) -> Table:
    """mode, nDCG@10, recall@10, recall@100, MRR@10, n (queries), p50 / p95 latency."""
    settings = run.settings
    table = Table(
        "mode", "nDCG@10", "recall@10", "recall@100", "MRR@10", "n", "p50 ms", "p95 ms",
        title=f"retrieval · {settings.corpus} · chunk size {settings.chunk_size}",
        caption="n: queries scored; latency per query, query embedding included",
        box=box.SIMPLE_HEAD, collapse_padding=True, show_edge=False,
    )
    for column in table.columns[1:]:
        column.justify = "right"
    for result in run.modes:
        table.add_row(*_cells(result))
    return table


def _cells(result: ModeResult) -> list[str]:
    return [
        result.mode,
        f"{result.ndcg_at_10:.4f}",
        f"{result.recall_at_10:.4f}",
        f"{result.recall_at_100:.4f}",
        f"{result.mrr_at_10:.4f}",
        str(result.n_queries),
        f"{result.latency_ms.p50:.1f}",
        f"{result.latency_ms.p95:.1f}",
    ]

"""Show a BFCL run as a rich table of per-category figures."""

from __future__ import annotations

from rich.table import Table

from agentkit.evals.bfcl.results import BfclRun, CategoryScore


def scores_table(run: BfclRun) -> Table:
    """category, n, valid_rate, accuracy, mean latency; the `all` row last."""
    table = Table(
        "category", "n", "valid_rate", "accuracy", "mean latency (s)",
        title=f"BFCL · {run.model} · {run.mode} decoding",
    )
    for column in table.columns[1:]:
        column.justify = "right"
    for score in run.categories:
        table.add_row(*_cells(score))
    table.add_section()
    table.add_row(*_cells(run.overall), style="bold")
    return table


def _cells(score: CategoryScore) -> list[str]:
    return [
        score.category,
        str(score.n),
        f"{score.valid_rate:.3f}",
        f"{score.accuracy:.3f}",
        f"{score.mean_latency_s:.2f}",
    ]

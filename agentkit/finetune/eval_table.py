"""The model card's eval table from two saved eval results: the base and the adapter,
the same eval on the same data (`agentkit adapters record-eval`)."""

from __future__ import annotations

from fnmatch import fnmatchcase
from pathlib import Path

from agentkit.errors import ConfigError
from agentkit.evals.results import EvalResult
from agentkit.finetune.card import write_card
from agentkit.models.adapter_meta import AdapterMeta, EvalRow, read_meta


def eval_rows(base: EvalResult, adapter: EvalResult, patterns: list[str], data: str = "") -> list[EvalRow]:
    """One row per metric both results have and one of `patterns` (fnmatch) matches, in
    the adapter result's order. `data` labels the rows (default: the eval's data and limit)."""
    problems = []
    if base.kind != adapter.kind:
        problems.append(f"the results are of different evals ({base.kind} vs {adapter.kind})")
    for key in ("data", "limit"):
        if base.config.get(key) != adapter.config.get(key):
            problems.append(f"{key} differs: {base.config.get(key)!r} vs {adapter.config.get(key)!r}")
    if problems:
        raise ConfigError("base and adapter results do not measure the same thing: " + "; ".join(problems)
                          + "; run the same eval on the same data for both")
    label = data or _data_label(adapter)
    rows = [EvalRow(metric=name, base=base.metrics[name], adapter=value, data=label)
            for name, value in adapter.metrics.items()
            if name in base.metrics and any(fnmatchcase(name, p) for p in patterns)]
    if not rows:
        shared = sorted(set(base.metrics) & set(adapter.metrics))
        raise ConfigError(f"no metric matches {', '.join(patterns)}; the results share: "
                          f"{', '.join(shared) or 'none'}")
    return rows


def record_evals(folder: Path, rows: list[EvalRow]) -> AdapterMeta:
    """Put `rows` into the adapter's meta (replacing rows of the same metric and data) and
    rewrite its model card."""
    meta = read_meta(folder)
    new = {(row.metric, row.data) for row in rows}
    meta.evals = [row for row in meta.evals if (row.metric, row.data) not in new] + rows
    write_card(folder, meta)
    return meta


def _data_label(result: EvalResult) -> str:
    data = Path(str(result.config.get("data", "?"))).name
    limit = result.config.get("limit")
    return f"{result.kind} {data}" + (f", limit {limit}" if limit else "")

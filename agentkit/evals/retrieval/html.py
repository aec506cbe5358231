"""A self-contained HTML report of a retrieval run: settings, a bar chart of the metrics
per mode, a latency plot, the figures table and per-query nDCG@10."""

from __future__ import annotations

import io
from html import escape
from pathlib import Path
from typing import Any

from agentkit.errors import ConfigError
from agentkit.evals.retrieval.results import METRIC_LABELS, METRICS, RetrievalRun

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; color: #222; }
table { border-collapse: collapse; margin: 1rem 0; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.6rem; text-align: right; }
th:first-child, td:first-child { text-align: left; }
td.text { text-align: left; font-size: 0.85em; }
td.best { font-weight: bold; }
svg { max-width: 100%; height: auto; }
"""


def write_html(run: RetrievalRun, path: Path) -> None:
    """Write the report of `run` to `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(run), encoding="utf-8")


def render_html(run: RetrievalRun) -> str:
    """The whole page."""
    name = Path(run.settings.corpus).parent.name or run.settings.corpus
    return "\n".join([
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>Retrieval: {escape(name)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>Retrieval on {escape(name)}: {escape(' vs '.join(m.mode for m in run.modes))}</h1>",
        _settings(run),
        "<h2>Quality</h2>", metrics_svg(run),
        _figures(run),
        "<h2>Latency</h2>",
        "<p>Wall time per query, query embedding (and reranking) included.</p>",
        latency_svg(run),
        _per_query(run),
        "</body></html>",
    ])


def _figure(**kwargs: Any) -> Any:
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ConfigError(
            "--html needs matplotlib; install it with `pip install matplotlib` "
            "(or agentkit's dev extra)"
        ) from None
    return Figure(layout="constrained", **kwargs)


def _svg(figure: Any) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg")
    svg = buffer.getvalue()
    return svg[svg.index("<svg"):]


def metrics_svg(run: RetrievalRun) -> str:
    """Grouped bars: one group per metric, one bar per mode."""
    figure = _figure(figsize=(9.0, 4.2))
    ax = figure.subplots()
    width = 0.8 / max(len(run.modes), 1)
    for index, result in enumerate(run.modes):
        offsets = [x + (index - (len(run.modes) - 1) / 2) * width for x in range(len(METRICS))]
        bars = ax.bar(offsets, [getattr(result, m) for m in METRICS], width, label=result.mode)
        ax.bar_label(bars, fmt="%.3f", fontsize=7, padding=1)
    ax.set_xticks(range(len(METRICS)), [METRIC_LABELS[m] for m in METRICS])
    ax.set_ylim(0, 1.08)
    ax.grid(axis="y", alpha=0.3)
    figure.legend(loc="outside upper center", ncols=len(run.modes), fontsize=8)
    return _svg(figure)


def latency_svg(run: RetrievalRun) -> str:
    """Left: p50 / p95 / p99 per mode. Right: the share of queries answered within t."""
    figure = _figure(figsize=(10.0, 4.0))
    bars_ax, cdf_ax = figure.subplots(1, 2)
    percentiles = ("p50", "p95", "p99")
    width = 0.8 / max(len(run.modes), 1)
    for index, result in enumerate(run.modes):
        offsets = [x + (index - (len(run.modes) - 1) / 2) * width for x in range(len(percentiles))]
        bars = bars_ax.bar(offsets, [getattr(result.latency_ms, p) for p in percentiles], width,
                           label=result.mode)
        bars_ax.bar_label(bars, fmt=lambda v: f"{v:.1f}" if v < 10 else f"{v:.0f}", fontsize=7,
                          padding=1)
        samples = sorted(q.latency_ms for q in result.queries)
        if samples:
            cdf_ax.step(samples, [(i + 1) / len(samples) for i in range(len(samples))],
                        where="post", label=result.mode)
    bars_ax.set_xticks(range(len(percentiles)), percentiles)
    bars_ax.set_ylabel("ms per query")
    bars_ax.grid(axis="y", alpha=0.3)
    bars_ax.legend(fontsize=8)
    cdf_ax.set_xscale("log")
    cdf_ax.set_xlabel("ms per query (log)")
    cdf_ax.set_ylabel("share of queries")
    cdf_ax.grid(alpha=0.3)
    cdf_ax.legend(fontsize=8)
    return _svg(figure)


def _settings(run: RetrievalRun) -> str:
    s = run.settings
    fusion = ", ".join(f"{k}={v}" for k, v in s.fusion.items())
    rows = [
        ("corpus", f"{s.corpus} ({s.documents} documents, {s.chunks} chunks)"),
        ("queries", f"{s.queries} (split {s.split or 'all'}, {run.n_queries} scored"
                    + (f", limit {s.limit}" if s.limit else "")
                    + (f", {s.skipped_queries} without a relevant document skipped"
                       if s.skipped_queries else "") + ")"),
        ("qrels", s.qrels + (f" ({s.missing_relevant} relevant documents not in the corpus)"
                             if s.missing_relevant else "")),
        ("chunking", f"{s.chunk_size} tokens, overlap {s.chunk_overlap}"),
        ("store", f"{s.store} ({s.store_path})"),
        ("embeddings", s.embeddings),
        ("retrieval", f"{s.depth} chunks per query, aggregated to documents by best rank; "
                      f"fusion {fusion}"),
        ("reranker", f"{s.reranker or 'default'}, top {s.rerank_depth} chunks"
         if s.rerank_depth else "not run"),
        ("indexing", f"{s.chunks_embedded} chunks embedded in {s.index_seconds:.1f} s"
         if s.chunks_embedded else "store reused (nothing to embed)"),
        ("date", f"{s.created:%Y-%m-%d %H:%M} UTC"),
    ]
    body = "".join(f"<tr><th>{escape(k)}</th><td class='text'>{escape(v)}</td></tr>" for k, v in rows)
    return f"<table>{body}</table>"


def _figures(run: RetrievalRun) -> str:
    names = [METRIC_LABELS[m] for m in METRICS] + ["n", "p50 ms", "p95 ms", "p99 ms"]
    best = {m: max(getattr(r, m) for r in run.modes) for m in METRICS} if run.modes else {}
    rows = []
    for result in run.modes:
        cells = [
            f"<td{' class=best' if getattr(result, m) == best[m] else ''}>{getattr(result, m):.4f}</td>"
            for m in METRICS
        ]
        cells += [f"<td>{result.n_queries}</td>"]
        cells += [f"<td>{getattr(result.latency_ms, p):.1f}</td>" for p in ("p50", "p95", "p99")]
        rows.append(f"<tr><td>{escape(result.mode)}</td>{''.join(cells)}</tr>")
    header = "<tr><th>mode</th>" + "".join(f"<th>{n}</th>" for n in names) + "</tr>"
    return f"<table>{header}{''.join(rows)}</table>"


def _per_query(run: RetrievalRun) -> str:
    """nDCG@10 of every query in every mode, the queries the modes disagree on most first."""
    by_mode = [{q.query_id: q.ndcg_at_10 for q in r.queries} for r in run.modes]
    ids = list(dict.fromkeys(q.query_id for r in run.modes for q in r.queries))

    def spread(query_id: str) -> float:
        values = [scores.get(query_id, 0.0) for scores in by_mode]
        return max(values) - min(values)

    ids.sort(key=lambda query_id: -spread(query_id))
    header = ("<tr><th>query</th><th>text</th>"
              + "".join(f"<th>{escape(r.mode)}</th>" for r in run.modes) + "</tr>")
    rows = "".join(
        f"<tr><td>{escape(query_id)}</td><td class='text'>{escape(run.query_text.get(query_id, ''))}</td>"
        + "".join(f"<td>{scores[query_id]:.3f}</td>" if query_id in scores else "<td></td>"
                  for scores in by_mode)
        + "</tr>"
        for query_id in ids
    )
    zero = {r.mode: sum(q.ndcg_at_10 == 0 for q in r.queries) for r in run.modes}
    summary = ", ".join(f"{mode}: {count}" for mode, count in zero.items())
    return (
        "<h2>Per query</h2>"
        f"<p>Queries with nDCG@10 = 0 (no relevant document in the first 10): {escape(summary)}.</p>"
        f"<details><summary>nDCG@10 of all {len(ids)} queries, largest difference between "
        f"modes first</summary><table>{header}{rows}</table></details>"
    )

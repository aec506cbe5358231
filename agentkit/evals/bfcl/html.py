"""A small self-contained HTML report of one or more BFCL runs, with a bar chart
(accuracy and valid rate per category, one bar per run: e.g. constrained vs not)."""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from html import escape
from pathlib import Path

from agentkit.errors import ConfigError
from agentkit.evals.bfcl.results import BfclRun, CategoryScore

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; color: #222; }
table { border-collapse: collapse; margin: 1rem 0; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.6rem; text-align: right; }
th:first-child, td:first-child { text-align: left; }
td.text { text-align: left; font-family: monospace; font-size: 0.85em; white-space: pre-wrap; }
tr.all { font-weight: bold; }
svg { max-width: 100%; height: auto; }
"""


def write_html(runs: Sequence[BfclRun], path: Path) -> None:
    """Write the report for `runs` (at least one) to `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(runs), encoding="utf-8")


def render_html(runs: Sequence[BfclRun]) -> str:
    """The report: settings, chart, figures table, and each run's wrong items."""
    if not runs:
        raise ValueError("an HTML report needs at least one run")
    labels = run_labels(runs)
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>BFCL: {escape(' vs '.join(labels))}</title><style>{_STYLE}</style></head><body>",
        f"<h1>BFCL tool calling: {escape(' vs '.join(labels))}</h1>",
        _settings(runs, labels),
        chart_svg(runs, labels),
        _figures(runs, labels),
    ]
    parts += [_wrong_items(run, label) for run, label in zip(runs, labels, strict=True)]
    parts.append("</body></html>")
    return "\n".join(parts)


def run_labels(runs: Sequence[BfclRun]) -> list[str]:
    """`constrained` / `unconstrained`, numbered when two runs share a mode."""
    modes = [run.mode for run in runs]
    return [
        mode if modes.count(mode) == 1 else f"{mode} #{modes[: i + 1].count(mode)}"
        for i, mode in enumerate(modes)
    ]


def chart_svg(runs: Sequence[BfclRun], labels: Sequence[str]) -> str:
    """Inline SVG: accuracy and valid rate per category, one bar per run."""
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ConfigError(
            "--html needs matplotlib; install it with `pip install matplotlib` "
            "(or agentkit's dev extra)"
        ) from None
    categories = _categories(runs)
    figure = Figure(figsize=(max(8.0, 1.4 * len(categories)), 6.5), layout="constrained")
    axes = figure.subplots(2, 1, sharex=True)
    width = 0.8 / len(runs)
    for ax, metric in zip(axes, ("accuracy", "valid_rate"), strict=True):
        for index, (run, label) in enumerate(zip(runs, labels, strict=True)):
            scores = _by_category(run)
            values = [getattr(scores[c], metric) if c in scores else 0.0 for c in categories]
            offsets = [x + (index - (len(runs) - 1) / 2) * width for x in range(len(categories))]
            bars = ax.bar(offsets, values, width, label=label)
            ax.bar_label(bars, fmt="%.2f", fontsize=7, padding=1)
        ax.set_ylim(0, 1.1)
        ax.set_ylabel(metric.replace("_", " "))
        ax.grid(axis="y", alpha=0.3)
    handles, names = axes[0].get_legend_handles_labels()
    figure.legend(handles, names, loc="outside upper center", ncols=len(runs))
    axes[1].set_xticks(range(len(categories)), categories, rotation=20, ha="right")
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg")
    svg = buffer.getvalue()
    return svg[svg.index("<svg"):]


def _categories(runs: Sequence[BfclRun]) -> list[str]:
    names = dict.fromkeys(score.category for run in runs for score in run.categories)
    return [*names, "all"]


def _by_category(run: BfclRun) -> dict[str, CategoryScore]:
    return {score.category: score for score in [*run.categories, run.overall]}


def _settings(runs: Sequence[BfclRun], labels: Sequence[str]) -> str:
    rows = "".join(
        f"<tr><td>{escape(label)}</td><td class='text'>{escape(run.model)}</td>"
        f"<td class='text'>{escape(run.data)}</td><td>{run.limit or 'all'}</td>"
        f"<td>{run.created:%Y-%m-%d %H:%M} UTC</td></tr>"
        for run, label in zip(runs, labels, strict=True)
    )
    header = "<tr><th>run</th><th>model</th><th>data</th><th>limit / category</th><th>date</th></tr>"
    return f"<table>{header}{rows}</table>"


def _figures(runs: Sequence[BfclRun], labels: Sequence[str]) -> str:
    per_run = ["n", "valid rate", "accuracy", "mean latency (s)"]
    header = "<tr><th rowspan='2'>category</th>" + "".join(
        f"<th colspan='{len(per_run)}'>{escape(label)}</th>" for label in labels
    ) + "</tr><tr>" + "".join(f"<th>{name}</th>" for _ in runs for name in per_run) + "</tr>"
    scores = [_by_category(run) for run in runs]
    rows = []
    for category in _categories(runs):
        cells = []
        for by_category in scores:
            score = by_category.get(category)
            cells += (
                [str(score.n), f"{score.valid_rate:.3f}", f"{score.accuracy:.3f}",
                 f"{score.mean_latency_s:.2f}"]
                if score else ["", "", "", ""]
            )
        css = " class='all'" if category == "all" else ""
        rows.append(f"<tr{css}><td>{escape(category)}</td>"
                    + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>")
    return f"<h2>Figures</h2><table>{header}{''.join(rows)}</table>"


def _wrong_items(run: BfclRun, label: str) -> str:
    wrong = [item for item in run.items if not (item.correct and item.valid)]
    rows = "".join(
        f"<tr><td>{escape(item.id)}</td><td>{'yes' if item.valid else 'no'}</td>"
        f"<td>{'yes' if item.correct else 'no'}</td>"
        f"<td class='text'>{escape(json.dumps([c.model_dump() for c in item.calls]))}</td>"
        f"<td class='text'>{escape(_shorten(item.text))}</td>"
        f"<td class='text'>{escape(item.error or '')}</td></tr>"
        for item in wrong
    )
    header = (
        "<tr><th>id</th><th>valid</th><th>correct</th><th>calls</th><th>reply text</th>"
        "<th>error</th></tr>"
    )
    return (
        f"<details><summary>{escape(label)}: {len(wrong)} of {len(run.items)} items "
        f"invalid or wrong</summary><table>{header}{rows}</table></details>"
    )


def _shorten(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"

"""The one HTML report style of every eval: settings, a chart of the metrics per group
(one bar per run), the figures table, a latency plot, and every item, per group."""

from __future__ import annotations

import json
from collections.abc import Sequence
from html import escape
from pathlib import Path
from typing import Any

from agentkit import plots
from agentkit.errors import ConfigError
from agentkit.evals.results import EvalResult

ALL = "all"
_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; color: #222; }
table { border-collapse: collapse; margin: 1rem 0; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.6rem; text-align: right; vertical-align: top; }
th:first-child, td:first-child { text-align: left; }
td.text { text-align: left; font-family: monospace; font-size: 0.8em; white-space: pre-wrap; }
td.bad { color: #b00; font-weight: bold; }
svg { max-width: 100%; height: auto; }
"""


def write_html(results: Sequence[EvalResult], path: Path, labels: Sequence[str] | None = None,
               extra: str = "") -> None:
    """Write the report of `results` (at least one; the last is the newest) to `path`, with
    an eval kind's `extra` sections (HTML) at the end."""
    page = render_html(results, labels).replace("</body></html>", f"{extra}\n</body></html>")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(page, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot write HTML report {path}: {exc.strerror}\n"
                          "    fix: choose a writable path") from None


def run_labels(results: Sequence[EvalResult]) -> list[str]:
    """The settings that tell the runs apart (e.g. `constrain=False`), else suite name and
    date; numbered when two runs would still read alike."""
    varying = [key for key in dict.fromkeys(k for r in results for k in r.config)
               if len({json.dumps(r.config.get(key), sort_keys=True) for r in results}) > 1
               and all(isinstance(r.config.get(key), (str, int, float, bool, type(None))) for r in results)]
    if len(results) > 1 and varying and len(varying) <= 3:
        names = [" ".join(f"{k}={r.config.get(k)}" for k in varying) for r in results]
    else:
        names = [f"{r.suite} {r.created:%Y-%m-%d %H:%M}" for r in results]
    return [n if names.count(n) == 1 else f"{n} #{names[:i + 1].count(n)}" for i, n in enumerate(names)]


def render_html(results: Sequence[EvalResult], labels: Sequence[str] | None = None) -> str:
    """The whole page."""
    if not results:
        raise ValueError("an HTML report needs at least one result")
    labels = list(labels or run_labels(results))
    title = f"{results[-1].kind} eval: {results[-1].suite}"
    latest = results[-1]
    failed = latest.failed_thresholds()
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
        _settings(results, labels),
        "<h2>Metrics</h2>", metrics_svg(results, labels), _figures(results, labels),
    ]
    if failed:
        parts.append("<p class='bad'>Out of threshold: " + escape(
            ", ".join(f"{name} {why}" for name, why in failed.items())) + "</p>")
    if any(item.latency_s is not None for item in latest.items):
        parts += ["<h2>Latency</h2>", "<p>Seconds per item, per group, of the newest run.</p>",
                  latency_svg(latest)]
    parts += [_items(latest, group) for group in latest.groups()]
    parts.append("</body></html>")
    return "\n".join(parts)


def split_metric(name: str) -> tuple[str, str]:
    """`hybrid/ndcg_at_10` -> (`hybrid`, `ndcg_at_10`); `accuracy` -> (`all`, `accuracy`)."""
    group, _, base = name.rpartition("/")
    return group or ALL, base


def chart_metrics(results: Sequence[EvalResult]) -> list[str]:
    """Base metrics worth a bar chart: rates in [0, 1] where higher is better."""
    seen: dict[str, bool] = {}
    for result in results:
        for name, value in result.metrics.items():
            base = split_metric(name)[1]
            fits = 0.0 <= value <= 1.0 and result.direction(name) == "higher"
            seen[base] = seen.get(base, True) and fits
    return [base for base, fits in seen.items() if fits][:6]


def metrics_svg(results: Sequence[EvalResult], labels: Sequence[str]) -> str:
    """Inline SVG: one panel per rate metric, groups along x, one bar per run."""
    bases = chart_metrics(results)
    if not bases:
        return "<p>No rate metrics to chart.</p>"
    groups = list(dict.fromkeys(split_metric(n)[0] for r in results for n in r.metrics
                                if split_metric(n)[1] in bases))
    figure = plots.figure(figsize=(max(8.0, 1.2 * len(groups)), 2.4 * len(bases) + 0.8))
    axes = figure.subplots(len(bases), 1, sharex=True, squeeze=False)[:, 0]
    width = 0.8 / len(results)
    for ax, base in zip(axes, bases, strict=True):
        for index, (result, label) in enumerate(zip(results, labels, strict=True)):
            values = [result.metrics.get(base if g == ALL else f"{g}/{base}", 0.0) for g in groups]
            offsets = [x + (index - (len(results) - 1) / 2) * width for x in range(len(groups))]
            ax.bar_label(ax.bar(offsets, values, width, label=label), fmt="%.2f", fontsize=7, padding=1)
        ax.set_ylim(0, 1.1)
        ax.set_ylabel(base.replace("_", " "))
        ax.grid(axis="y", alpha=0.3)
    handles, names = axes[0].get_legend_handles_labels()
    figure.legend(handles, names, loc="outside upper center", ncols=min(len(results), 4))
    axes[-1].set_xticks(range(len(groups)), groups, rotation=20, ha="right")
    return plots.svg(figure)


def latency_svg(result: EvalResult) -> str:
    """Inline SVG: a box plot of item latency per group."""
    groups = [g for g in result.groups() if any(i.latency_s is not None for i in result.items if i.group == g)]
    samples = [[i.latency_s for i in result.items if i.group == g and i.latency_s is not None] for g in groups]
    figure = plots.figure(figsize=(max(6.0, 1.2 * len(groups)), 3.5))
    ax = figure.subplots()
    ax.boxplot(samples, tick_labels=[g or ALL for g in groups])
    ax.set_ylabel("seconds per item")
    ax.grid(axis="y", alpha=0.3)
    return plots.svg(figure)


def _settings(results: Sequence[EvalResult], labels: Sequence[str]) -> str:
    def facts(result: EvalResult) -> dict[str, Any]:
        return ({"created": f"{result.created:%Y-%m-%d %H:%M} UTC"}
                | {f"model {k}": v for k, v in result.models.items()}
                | {f"prompt {k}": v for k, v in result.prompts.items()}
                | result.config | {f"{k} (s)": f"{v:.1f}" for k, v in result.timings.items()})
    table = [facts(r) for r in results]
    keys = list(dict.fromkeys(k for row in table for k in row))
    header = "<tr><th>setting</th>" + "".join(f"<th>{escape(label)}</th>" for label in labels) + "</tr>"
    rows = "".join(f"<tr><td>{escape(key)}</td>" + "".join(
        f"<td class='text'>{escape(_text(row.get(key, '')))}</td>" for row in table) + "</tr>"
        for key in keys)
    return f"<h2>Settings</h2><table>{header}{rows}</table>"


def _figures(results: Sequence[EvalResult], labels: Sequence[str]) -> str:
    names = list(dict.fromkeys(n for r in results for n in r.metrics))
    header = "<tr><th>metric</th>" + "".join(f"<th>{escape(label)}</th>" for label in labels) + "</tr>"
    rows = []
    for name in names:
        failed = results[-1].failed_thresholds()
        cells = [f"{r.metrics[name]:.4g}" if name in r.metrics else "" for r in results]
        css = [""] * (len(results) - 1) + [" class='bad'" if name in failed else ""]
        rows.append(f"<tr><td>{escape(name)}</td>" + "".join(
            f"<td{c}>{v}</td>" for c, v in zip(css, cells, strict=True)) + "</tr>")
    return f"<table>{header}{''.join(rows)}</table>"


def _items(result: EvalResult, group: str) -> str:
    items = [i for i in result.items if i.group == group]
    scores = list(dict.fromkeys(k for i in items for k in i.scores))
    header = ("<tr><th>id</th>" + "".join(f"<th>{escape(s)}</th>" for s in scores)
              + "<th>latency (s)</th><th>input</th><th>output</th><th>expected</th><th>error</th></tr>")
    rows = "".join(
        f"<tr><td>{escape(i.id)}</td>"
        + "".join(f"<td>{i.scores[s]:.3g}</td>" if s in i.scores else "<td></td>" for s in scores)
        + f"<td>{'' if i.latency_s is None else f'{i.latency_s:.3f}'}</td>"
        + "".join(f"<td class='text'>{escape(_text(v))}</td>" for v in (i.input, i.output, i.expected))
        + f"<td class='text'>{escape(i.error or '')}</td></tr>"
        for i in items)
    errors = sum(1 for i in items if i.error)
    return (f"<details><summary>{escape(group or ALL)}: {len(items)} items, {errors} with an error"
            f"</summary><table>{header}{rows}</table></details>")


def _text(value: Any, limit: int = 300) -> str:
    text = value if isinstance(value, str) else "" if value is None else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[:limit - 1] + "…"

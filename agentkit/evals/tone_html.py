"""The tone eval's HTML report: the common report (variants as groups, side by side),
plus the distribution of per-sentence scores per variant and example rewrites."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from pathlib import Path

from agentkit import plots
from agentkit.evals.html import write_html
from agentkit.evals.results import EvalResult

PANELS = ("joint", "style", "meaning", "fluency")
EXAMPLES = 12


def write_tone_html(result: EvalResult, path: Path, earlier: Sequence[EvalResult] = ()) -> None:
    """Write the report of a tone run (and earlier runs charted next to it) to `path`."""
    extra = "\n".join(["<h2>Per-sentence scores</h2>",
                       "<p>Each variant's scores over the sentences (box: quartiles; line: median).</p>",
                       distribution_svg(result), "<h2>Example rewrites</h2>", examples_table(result)])
    write_html([*earlier, result], path, extra=extra)


def distribution_svg(result: EvalResult) -> str:
    """Inline SVG: one box plot per score, variants along x."""
    variants = result.groups()
    figure = plots.figure(figsize=(max(8.0, 1.6 * len(variants) * 2), 3.2))
    axes = figure.subplots(1, len(PANELS), sharey=True)
    for ax, name in zip(axes, PANELS, strict=True):
        samples = [[i.scores.get(name, 0.0) for i in result.items if i.group == v] for v in variants]
        ax.boxplot(samples, tick_labels=variants)
        ax.set_title(name)
        ax.set_ylim(-0.05, 1.05)
        ax.tick_params(axis="x", rotation=30)
        ax.grid(axis="y", alpha=0.3)
    return plots.svg(figure)


def examples_table(result: EvalResult, limit: int = EXAMPLES) -> str:
    """The first `limit` items: source, a reference, and each variant's rewrite with its J."""
    variants = result.groups()
    by_key = {(i.group, i.id): i for i in result.items}
    ids = list(dict.fromkeys(i.id for i in result.items))[:limit]
    header = "<tr><th>source</th><th>reference</th>" + "".join(
        f"<th>{escape(v)}</th>" for v in variants) + "</tr>"
    rows = []
    for item_id in ids:
        first = by_key[(variants[0], item_id)]
        references = (first.expected or {}).get("references") or [""]
        cells = []
        for variant in variants:
            item = by_key.get((variant, item_id))
            if item is None:
                cells.append("<td></td>")
                continue
            text = (item.output or {}).get("rewrite", "")
            cells.append(f"<td class='text'>{escape(text)}\n<b>J {item.scores.get('joint', 0.0):.2f}</b> "
                         f"(style {item.scores.get('style', 0.0):.2f}, meaning "
                         f"{item.scores.get('meaning', 0.0):.2f}, fluency {item.scores.get('fluency', 0.0):.2f})</td>")
        rows.append(f"<tr><td class='text'>{escape((first.input or {}).get('source', ''))}</td>"
                    f"<td class='text'>{escape(references[0])}</td>{''.join(cells)}</tr>")
    return f"<table>{header}{''.join(rows)}</table>"

"""The multi-hop eval's HTML report: the common report (modes as groups, side by side),
plus support recall at every k from 1 to 10 per mode, and where each question's
supporting documents ranked in each mode."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from pathlib import Path

from agentkit import plots
from agentkit.evals.html import write_html
from agentkit.evals.multihop.metrics import support_recall
from agentkit.evals.results import EvalResult, ItemRecord

MAX_K = 10  # items keep their first 10 documents


def write_multihop_html(result: EvalResult, path: Path, earlier: Sequence[EvalResult] = ()) -> None:
    """Write the report of a multi-hop run (and earlier runs charted next to it) to `path`."""
    extra = "\n".join([
        "<h2>Support recall by k</h2>",
        "<p>Share of the supporting documents among the first k distinct documents, per mode.</p>",
        recall_curve_svg(result), "<h2>Supporting documents by rank</h2>",
        "<p>The rank of each supporting document among the first 10 documents (– : not there).</p>",
        ranks_table(result)])
    write_html([*earlier, result], path, extra=extra)


def _ranking(item: ItemRecord) -> list[str]:
    return list((item.output or {}).get("top_docs") or [])


def _supporting(item: ItemRecord) -> list[str]:
    return list((item.expected or {}).get("supporting_doc_ids") or [])


def recall_at_ks(result: EvalResult, mode: str) -> list[float]:
    """Mean support recall at k = 1..10 over the mode's questions."""
    items = [i for i in result.items if i.group == mode]
    if not items:
        return [0.0] * MAX_K
    return [sum(support_recall(_ranking(i), _supporting(i), k) for i in items) / len(items)
            for k in range(1, MAX_K + 1)]


def recall_curve_svg(result: EvalResult) -> str:
    """Inline SVG: support recall against k, one line per mode."""
    figure = plots.figure(figsize=(7.0, 3.6))
    ax = figure.subplots()
    ks = list(range(1, MAX_K + 1))
    for mode in result.groups():
        ax.plot(ks, recall_at_ks(result, mode), marker="o", label=mode)
    ax.set_xticks(ks)
    ax.set_xlabel("k (distinct documents)")
    ax.set_ylabel("support recall")
    ax.set_ylim(0, 1.05)
    ax.grid(alpha=0.3)
    ax.legend()
    return plots.svg(figure)


def ranks_table(result: EvalResult) -> str:
    """One row per question: its supporting documents' titles and, per mode, their ranks."""
    modes = result.groups()
    by_key = {(i.group, i.id): i for i in result.items}
    ids = list(dict.fromkeys(i.id for i in result.items))
    header = "<tr><th>question</th><th>supporting</th>" + "".join(
        f"<th>{escape(m)}</th>" for m in modes) + "</tr>"
    rows = []
    for item_id in ids:
        first = next(by_key[(m, item_id)] for m in modes if (m, item_id) in by_key)
        supporting = _supporting(first)
        titles = (first.expected or {}).get("supporting_titles") or supporting
        cells = []
        for mode in modes:
            item = by_key.get((mode, item_id))
            ranking = _ranking(item) if item else []
            cells.append("<td>" + " / ".join(
                str(ranking.index(doc) + 1) if doc in ranking else "–" for doc in supporting) + "</td>")
        rows.append(f"<tr><td class='text'>{escape(str((first.input or {}).get('question', item_id)))}</td>"
                    f"<td class='text'>{escape(' / '.join(map(str, titles)))}</td>{''.join(cells)}</tr>")
    return f"<table>{header}{''.join(rows)}</table>"

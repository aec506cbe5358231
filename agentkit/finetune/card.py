"""The adapter folder's model card (README.md), rendered from its AdapterMeta, and a
function to fill in the eval table later."""

from __future__ import annotations

import json
from pathlib import Path

from agentkit.models.adapter_meta import AdapterMeta, EvalRow, read_meta

CARD = "README.md"


def render_card(meta: AdapterMeta) -> str:
    """Markdown model card: what it is, base + hash, data, training config, eval table."""
    lines = [
        f"# {meta.name}",
        "",
        f"A LoRA adapter trained with `agentkit finetune {meta.method}` on {meta.created:%Y-%m-%d}.",
        "",
        "## Base model",
        "",
        f"- model: `{meta.base_model}`",
        f"- sha256 of its weights: `{meta.base_model_sha256}`",
        "",
        "The adapter is refused on any other base (`agentkit adapters show` checks it).",
        "",
        "## Data",
        "",
        "| source | rows | license |",
        "|---|---:|---|",
        *(f"| {d.source} | {d.rows} | {d.license} |" for d in meta.data),
        "",
        "## Evaluation",
        "",
    ]
    if meta.evals:
        lines += ["| metric | data | base | adapter | Δ |", "|---|---|---:|---:|---:|"]
        lines += [f"| {e.metric} | {e.data} | {e.base:.3f} | {e.adapter:.3f} | {e.adapter - e.base:+.3f} |"
                  for e in meta.evals]
    else:
        lines.append("Not measured yet (fill it with `agentkit.finetune.card.write_evals`).")
    lines += ["", "## Training config", "", "```json",
              json.dumps(meta.training, indent=2, default=str), "```", ""]
    return "\n".join(lines)


def write_card(folder: Path, meta: AdapterMeta) -> None:
    """Write `agentkit_adapter.json` and README.md into `folder`."""
    meta.save(folder)
    (folder / CARD).write_text(render_card(meta), encoding="utf-8")


def write_evals(folder: Path, rows: list[EvalRow], replace: bool = True) -> AdapterMeta:
    """Record eval rows (base vs adapter) in an adapter folder and re-render its card.
    Rows replace earlier ones with the same metric and data unless `replace` is False."""
    meta = read_meta(folder)
    keys = {(r.metric, r.data) for r in rows}
    kept = [e for e in meta.evals if not replace or (e.metric, e.data) not in keys]
    meta.evals = kept + list(rows)
    write_card(folder, meta)
    return meta

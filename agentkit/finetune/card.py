"""The adapter folder's model card (README.md), rendered from its AdapterMeta."""

from __future__ import annotations

import json
from pathlib import Path

from agentkit.models.adapter_meta import AdapterMeta

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
        lines.append("Not measured yet.")
    if meta.starts_from:
        lines += ["", "## Training stages", "",
                  "Each stage went on from the adapter of the stage before it (`init_adapter`).", "",
                  "| stage | method | steps | data (rows) | created |", "|---|---|---:|---|---|"]
        lines += [f"| {s.name} | {s.method} | {s.training.get('train', {}).get('steps') or '-'} | "
                  f"{'; '.join(f'{d.source} ({d.rows})' for d in s.data)} | {s.created:%Y-%m-%d} |"
                  for s in meta.stages()]
    lines += ["", "## Training config", "", "```json",
              json.dumps(meta.training, indent=2, default=str), "```", ""]
    return "\n".join(lines)


def write_card(folder: Path, meta: AdapterMeta) -> None:
    """Write `agentkit_adapter.json` and README.md into `folder`."""
    meta.save(folder)
    (folder / CARD).write_text(render_card(meta), encoding="utf-8")

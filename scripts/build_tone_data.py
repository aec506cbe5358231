"""Build the `polite_tone` adapter's SFT and DPO data from ParaDetox, in the `rewrite`
node's exact prompt.

    .venv/bin/python scripts/build_tone_data.py \
        --paradetox ../shared/data/tone_style/paradetox --out build/polite_tone \
        [--seed 0] [--heldout-fraction 0.05]

Writes into --out:
- `sft.jsonl`: `{"messages": [...]}`, the turns the `rewrite` node sends (its default
  style instruction as the system turn, the toxic sentence as the user turn; built with
  `agentkit.tone.rewriting.rewrite_messages`), then one human neutral rewrite as the
  assistant turn (one row per rewrite).
- `dpo.jsonl`: `{"prompt": [...], "chosen", "rejected"}` from ParaDetox's preference
  pairs (chosen = the first human rewrite, rejected = the toxic original), same prompt.
- `heldout.jsonl`: the held-out pairs (ParaDetox format `{"id", "toxic", "neutral"}`),
  chosen by `agentkit.tone.data.in_heldout(id, seed, fraction)`, the split `agentkit eval
  tone` measures on; none of their ids is in sft.jsonl or dpo.jsonl.
- `sources.json`: rows per file and the license (ParaDetox: CC0-1.0).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from agentkit.models.prompting import to_turns
from agentkit.tone.rewriting import rewrite_messages
from agentkit.tone.data import DEFAULT_FRACTION, DEFAULT_SEED, in_heldout, load_pairs

LICENSE = "CC0-1.0 (ParaDetox, s-nlp/paradetox)"
Turns = list[dict[str, str]]


def prompt_turns(text: str) -> Turns:
    """The chat turns the default `rewrite` node sends for `text`."""
    return [dict(turn) for turn in to_turns(rewrite_messages(text))]


def sft_rows(pairs: Path, seed: int, fraction: float) -> tuple[list[dict[str, Any]], list[str]]:
    """(SFT rows of the training ids, the held-out lines in ParaDetox format)."""
    rows, heldout = [], []
    for item in load_pairs(pairs):
        if in_heldout(item.id, seed, fraction):
            heldout.append(item.model_dump_json())
            continue
        turns = prompt_turns(item.toxic)
        rows += [{"messages": [*turns, {"role": "assistant", "content": neutral}]}
                 for neutral in item.neutral]
    return rows, heldout


def dpo_rows(dpo: Path, seed: int, fraction: float) -> list[dict[str, Any]]:
    """DPO rows of the training ids (ParaDetox's rejected text is the toxic source)."""
    rows = []
    for number, line in enumerate(dpo.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        row = json.loads(line)
        if in_heldout(row["id"], seed, fraction) or row["chosen"].strip() == row["rejected"].strip():
            continue
        rows.append({"prompt": prompt_turns(row["rejected"]), "chosen": row["chosen"],
                     "rejected": row["rejected"]})
    return rows


def build(paradetox: Path, out: Path, seed: int, fraction: float) -> dict[str, int]:
    """Write sft.jsonl, dpo.jsonl, heldout.jsonl and sources.json; returns row counts."""
    sft, heldout = sft_rows(paradetox / "pairs.jsonl", seed, fraction)
    dpo = dpo_rows(paradetox / "dpo.jsonl", seed, fraction)
    out.mkdir(parents=True, exist_ok=True)
    for name, rows in (("sft.jsonl", sft), ("dpo.jsonl", dpo)):
        (out / name).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                                encoding="utf-8")
    (out / "heldout.jsonl").write_text("".join(line + "\n" for line in heldout), encoding="utf-8")
    counts = {"sft": len(sft), "dpo": len(dpo), "heldout": len(heldout)}
    sources = [{"source": f"ParaDetox pairs.jsonl, train split (seed {seed})", "rows": len(sft),
                "license": LICENSE},
               {"source": f"ParaDetox dpo.jsonl, train split (seed {seed})", "rows": len(dpo),
                "license": LICENSE}]
    (out / "sources.json").write_text(json.dumps(sources, indent=1) + "\n", encoding="utf-8")
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--paradetox", type=Path, required=True,
                        help="folder with pairs.jsonl and dpo.jsonl")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--heldout-fraction", type=float, default=DEFAULT_FRACTION)
    args = parser.parse_args()
    missing = [name for name in ("pairs.jsonl", "dpo.jsonl") if not (args.paradetox / name).is_file()]
    if missing:
        sys.exit(f"error: {args.paradetox} has no {' or '.join(missing)}; give --paradetox the ParaDetox "
                 f"folder (../shared/data/tone_style/paradetox holds both files)")
    print(json.dumps(build(args.paradetox, args.out, args.seed, args.heldout_fraction)))


if __name__ == "__main__":
    main()

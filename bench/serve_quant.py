"""What each GGUF level costs in quality, side by side in one run: perplexity of the
llama.cpp engine on a text corpus (its own scoring path: every token of each passage
scored after the ones before it), speed at batch 1, and, with `--bfcl DIR`, BFCL accuracy
and schema-valid calls (`agentkit eval bfcl --quant LEVEL`, the base model and the
`tool_calls` adapter), against transformers fp32 on the same data.

Run: .venv/bin/python bench/serve_quant.py --corpus ../shared/data/beir_scifact/corpus.jsonl
     [--passages 60] [--bfcl build/tool_calls/heldout --limit 10] [--levels q4_1 q8_0 q4_0 f16]"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

MAX_PASSAGE_TOKENS = 400


def passages(corpus: Path, count: int) -> list[str]:
    texts = []
    with corpus.open(encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            texts.append(f"{row.get('title', '')}\n{row['text']}".strip())
            if len(texts) == count:
                break
    return texts


def perplexity_worker(level: str | None, engine: str, corpus: Path, count: int) -> dict[str, float]:
    from agentkit.models import LocalChatModel

    chat = LocalChatModel(quant=level, engine=engine)  # type: ignore[arg-type]
    tokenizer = chat.tokens.tokenizer
    rows = [tokenizer(text, add_special_tokens=False)["input_ids"][:MAX_PASSAGE_TOKENS] for text in
            passages(corpus, count)]
    started = time.perf_counter()
    total, scored = 0.0, 0
    for ids in rows:
        [score] = chat.backend.score(ids[:1], [ids[1:]], None)
        total += score
        scored += len(ids) - 1
    return {"perplexity": math.exp(-total / scored), "tokens": scored, "seconds": time.perf_counter() - started}


def bfcl(level: str | None, engine: str, data: Path, limit: int, adapter: str | None) -> dict[str, float]:
    out = Path(tempfile.mkdtemp()) / "bfcl.json"
    command = [sys.executable, "-m", "agentkit", "eval", "bfcl", "--data", str(data), "--limit", str(limit),
               "--engine", engine, "--json", str(out)]
    command += ["--quant", level] if level else []
    command += ["--adapter", adapter] if adapter else []
    subprocess.run(command, check=True, capture_output=True, timeout=7200)
    metrics = json.loads(out.read_text())["metrics"]
    return {"accuracy": metrics["accuracy"], "valid_rate": metrics["valid_rate"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, required=True, help="BEIR corpus.jsonl (title, text)")
    parser.add_argument("--passages", type=int, default=60)
    parser.add_argument("--levels", nargs="+", default=["q4_1", "q8_0", "q4_0", "f16"])
    parser.add_argument("--bfcl", type=Path, help="BFCL data folder (e.g. build/tool_calls/heldout)")
    parser.add_argument("--limit", type=int, default=10, help="BFCL items per category")
    parser.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        level, engine = args.worker
        print(json.dumps(perplexity_worker(None if level == "-" else level, engine, args.corpus, args.passages)))
        return
    rows = [("transformers fp32", "-", "transformers")] + [(f"llama.cpp {lv}", lv, "llama_cpp") for lv in args.levels]
    table = Table("engine / level", "perplexity", "scored tok/s", "BFCL base acc", "BFCL base valid",
                  "BFCL tool_calls acc", "BFCL tool_calls valid",
                  title=f"quality per level: {args.passages} passages of {args.corpus.name}"
                        + (f", BFCL {args.bfcl} ({args.limit}/category)" if args.bfcl else ""))
    env = {**os.environ, "AGENTKIT_TORCH_THREADS": "1", "AGENTKIT_LLAMA_THREADS": "1"}
    for name, level, engine in rows:
        out = subprocess.run([sys.executable, __file__, "--corpus", str(args.corpus), "--passages", str(args.passages),
                              "--worker", level, engine], env=env, capture_output=True, text=True, check=True)
        ppl = json.loads(out.stdout.strip().splitlines()[-1])
        cells = [f"{ppl['perplexity']:.3f}", f"{ppl['tokens'] / ppl['seconds']:.0f}"]
        if args.bfcl:
            for adapter in (None, "tool_calls"):
                figures = bfcl(None if level == "-" else level, engine, args.bfcl, args.limit, adapter)
                cells += [f"{figures['accuracy']:.3f}", f"{figures['valid_rate']:.3f}"]
        else:
            cells += ["", "", "", ""]
        table.add_row(name, *cells)
    Console().print(table)


if __name__ == "__main__":
    main()

"""LLM entity extraction (agentkit.graphrag.llm_extract) with the bundled SmolLM2-135M.

Over the first N passages of a multi-hop corpus (a folder with documents.jsonl, or the
file): entities and relations per chunk, the share of chunks with zero entities (the
failure users report with small models), LLM calls, tokens and tokens/s, with a fresh
cache; then the same passages again to show that a rebuild costs no call.
The estimate printed first is what `agentkit kg build --extractor llm --estimate` says.

    OMP_NUM_THREADS=1 .venv/bin/python bench/graphrag_llm_extract.py ../shared/data/multihop_qa/musique_train100 --n 20
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import torch
from langchain_core.callbacks import BaseCallbackHandler
from rich.console import Console
from rich.table import Table

from agentkit.graphrag.extraction_cache import ExtractionCache
from agentkit.graphrag.llm_extract import LLMExtractor
from agentkit.models import LocalChatModel
from agentkit.rag.chunks import Chunk, chunk_id


class Calls(BaseCallbackHandler):
    """Counts chat model calls."""

    def __init__(self) -> None:
        self.count = 0

    def on_llm_end(self, response: object, **kwargs: object) -> None:
        self.count += 1


def passages(path: Path, n: int) -> list[Chunk]:
    """The first `n` documents as chunks (one passage, one chunk)."""
    file = path / "documents.jsonl" if path.is_dir() else path
    chunks = []
    with file.open(encoding="utf-8") as stream:
        for line in stream:
            if len(chunks) == n:
                break
            row = json.loads(line)
            doc_id = str(row["_id"])
            chunks.append(Chunk(id=chunk_id(doc_id, row["text"]), text=row["text"], doc_id=doc_id,
                                source=str(file), title=row.get("title", "")))
    return chunks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", type=Path, help="folder with documents.jsonl, or the file")
    parser.add_argument("--n", type=int, default=20, help="passages")
    parser.add_argument("--gleaning", type=int, default=1)
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    chunks = passages(args.corpus, args.n)
    calls = Calls()
    console = Console()
    with tempfile.TemporaryDirectory() as folder:
        cache = ExtractionCache(Path(folder) / "llm_cache.sqlite")
        extractor = LLMExtractor(LocalChatModel(callbacks=[calls]), cache=cache, gleaning=args.gleaning)
        estimate = extractor.estimate(chunks)
        console.print(f"estimate: {estimate.summary()}", highlight=False)
        started = time.perf_counter()
        found = extractor.extract(chunks)
        seconds = time.perf_counter() - started
        first_calls = calls.count
        started = time.perf_counter()
        again = extractor.extract(chunks)
        rerun = time.perf_counter() - started
        cost = cache.cost(extractor.prompt_version, extractor.model_id)
    n = len(found)
    table = Table(title=f"LLM extraction, {extractor.model_id}, {n} passages of {args.corpus.name}, "
                        f"gleaning {args.gleaning}, {args.threads} torch thread(s), load {os.getloadavg()[0]:.1f}")
    for column in ("figure", "value"):
        table.add_column(column)
    rows = {
        "entities / chunk": f"{sum(len(e.entities) for e in found) / n:.2f}",
        "relations / chunk": f"{sum(len(e.relations) for e in found) / n:.2f}",
        "chunks with zero entities": f"{sum(not e.entities for e in found) / n:.0%}",
        "chunks with no entity but the title": f"{sum(all(m.title for m in e.entities) for e in found) / n:.0%}",
        "LLM calls / chunk": f"{first_calls / n:.2f}",
        "prompt + completion tokens / chunk": f"{cost.prompt_tokens / n:.0f} + {cost.completion_tokens / n:.0f}",
        "seconds / chunk": f"{seconds / n:.1f}",
        "tokens/s (prompt + completion)": f"{cost.tokens / seconds:.1f}",
        "completion tokens/s": f"{cost.completion_tokens / seconds:.1f}",
        "estimated vs actual tokens": f"{estimate.expected_tokens} vs {cost.tokens}",
        "estimated vs actual seconds": f"{estimate.expected_seconds:.0f} vs {seconds:.0f}",
        "rerun from cache: calls, seconds": f"{calls.count - first_calls}, {rerun:.3f}",
        "rerun tokens": str(sum(e.tokens for e in again)),
    }
    for name, value in rows.items():
        table.add_row(name, value)
    console.print(table)


if __name__ == "__main__":
    main()

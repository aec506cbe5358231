"""torch intra-op threads: query-embedding latency (and a batch of chunks) with 1 vs 2 threads.

The numbers behind agentkit's default thread count (`agentkit.threads`). One process, one
all-MiniLM-L6-v2, `torch.set_num_threads(n)` switched between measurements; rounds
alternate which count goes first so both see the same machine load (printed, since other
processes on the cores change everything).

    OMP_NUM_THREADS= .venv/bin/python bench/torch_threads.py [--rounds 30] [--threads 1 2]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

import torch

from agentkit.models.config import EmbeddingsConfig
from agentkit.models.embeddings import local_embeddings

QUERIES = [
    "Where are checkpoints stored?", "How do I declare edges in a graph file?",
    "What does the route node do?", "Which model is the default chat model?",
    "How is a tool error returned to the model?", "How do I index a folder of documents?",
    "What is reciprocal rank fusion?", "How do I trace runs into Phoenix?",
]


def chunks() -> list[str]:
    """64 paragraph-sized texts (120 words) from the project's README and docs, a typical
    indexing batch (the text wraps around when it is shorter)."""
    root = Path(__file__).resolve().parents[1]
    files = [root / "README.md", *sorted((root / "docs").glob("*.md"))]
    words = " ".join(p.read_text(encoding="utf-8") for p in files).split()
    return [" ".join(words[(i * 120 + j) % len(words)] for j in range(120)) for i in range(64)]


def timed(call: object) -> float:
    start = time.perf_counter()
    call()  # type: ignore[operator]
    return (time.perf_counter() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30, help="query rounds per thread count")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    embeddings = local_embeddings(EmbeddingsConfig())
    batch = chunks()
    embeddings.embed_query("warm up")
    embeddings.embed_documents(batch[:8])
    query_ms: dict[int, list[float]] = {n: [] for n in args.threads}
    batch_ms: dict[int, list[float]] = {n: [] for n in args.threads}
    loads = [os.getloadavg()[0]]
    for round_ in range(args.rounds):
        order = args.threads if round_ % 2 == 0 else args.threads[::-1]
        for n in order:
            torch.set_num_threads(n)
            query = QUERIES[round_ % len(QUERIES)]
            query_ms[n].append(timed(lambda: embeddings.embed_query(query)))
            if round_ % 10 == 0:
                batch_ms[n].append(timed(lambda: embeddings.embed_documents(batch)))
        loads.append(os.getloadavg()[0])
    print(f"cpus {os.cpu_count()}, torch {torch.__version__}, load average {min(loads):.2f}-{max(loads):.2f}, "
          f"{args.rounds} queries per count, batch of {len(batch)} chunks")
    print(f"{'threads':>7} | {'query p50 ms':>12} | {'query p95 ms':>12} | {'batch median ms':>15}")
    for n in args.threads:
        times = sorted(query_ms[n])
        p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
        print(f"{n:>7} | {statistics.median(times):>12.1f} | {p95:>12.1f} | {statistics.median(batch_ms[n]):>15.0f}")


if __name__ == "__main__":
    main()

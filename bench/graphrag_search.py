"""GraphRAG search latency on a ~5,000-passage graph: `graph_retrieve` local (and hybrid)
beside the store's plain hybrid search, in the same run, on one thread.

The passages are the multi-hop QA corpora's documents split as `bench/graphrag_extract.py`
splits them (~60 words, title on every passage), embedded with all-MiniLM-L6-v2 into an
embedded store in `--workspace` (kept, so later runs reuse store and graph), and the graph
is built with the lexical extractor. The queries are the subsets' questions. Latency is per
query, query embedding included (local search embeds the query for its dense seeds), the
three searches interleaved per query after a warm-up. Goal: local p50 <= 50 ms.

    OMP_NUM_THREADS=1 .venv/bin/python bench/graphrag_search.py [DATA_DIR] [--workspace DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from graphrag_extract import DEFAULT_DATA, documents, passages  # noqa: E402

from agentkit.graphrag.lexical import LexicalExtractor  # noqa: E402
from agentkit.graphrag.local_search import open_searcher  # noqa: E402
from agentkit.graphrag.workspace import update_store_graph  # noqa: E402
from agentkit.rag.config import StoreConfig  # noqa: E402
from agentkit.rag.open import open_index  # noqa: E402

STORE = StoreConfig(name="bench_graphrag")
K = 5


def questions(folder: Path) -> list[str]:
    """Every question of every subset under `folder`."""
    found = []
    for path in sorted(folder.glob("*/questions.jsonl")) or sorted(folder.glob("questions.jsonl")):
        with path.open(encoding="utf-8") as lines:
            found += [json.loads(line)["question"] for line in lines if line.strip()]
    return found


def fill_store(data: Path, workspace: Path, words: int) -> int:
    """The passages in the store (embedded once; later runs find them there)."""
    index = open_index(STORE, workspace)
    chunks = passages(documents(data), words)
    missing = [c for c in chunks if not index.store.get([c.id])]
    for start in range(0, len(missing), 256):
        batch = missing[start:start + 256]
        vectors = np.asarray(index.embeddings.embed_documents([c.content for c in batch]), dtype=np.float32)
        index.store.upsert(batch, vectors)
        print(f"  embedded {start + len(batch)}/{len(missing)}", flush=True)
    count = index.store.count()
    index.store.close()
    return count


def percentiles(samples: list[float]) -> str:
    cuts = statistics.quantiles(samples, n=20)
    return f"p50 {statistics.median(samples) * 1000:6.1f} ms   p95 {cuts[18] * 1000:6.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", nargs="?", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--workspace", type=Path, default=Path("/tmp/agentkit-bench-graphrag"))
    parser.add_argument("--words", type=int, default=60)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    torch.set_num_threads(1)
    workspace = args.workspace.resolve()
    (workspace / ".agentkit").mkdir(parents=True, exist_ok=True)
    print(f"passages in store: {fill_store(args.data, workspace, args.words)}")
    started = time.perf_counter()
    report = update_store_graph(STORE, workspace, LexicalExtractor())
    print(f"graph build/update: {time.perf_counter() - started:.1f} s; {report.summary()}")
    index = open_index(STORE, workspace)
    started = time.perf_counter()
    kg, searcher = open_searcher(STORE, workspace, index)
    print(f"graph load + PPR matrix: {time.perf_counter() - started:.2f} s; {kg.graph.number_of_nodes()} nodes, "
          f"{kg.graph.number_of_edges()} edges")
    asked = questions(args.data)[:args.queries]
    for question in asked[:5]:  # warm-up: BM25 index, snapshot, torch
        searcher.hybrid(question, K)
    timings: dict[str, list[float]] = {"store hybrid": [], "graph local": [], "graph hybrid": []}
    searches = {"store hybrid": lambda q: index.search(q, mode="hybrid", k=K),
                "graph local": lambda q: searcher.local(q, K),
                "graph hybrid": lambda q: searcher.hybrid(q, K)}
    fallbacks = 0
    for n, question in enumerate(asked):
        names = list(searches)
        for name in names[n % 3:] + names[:n % 3]:  # rotate which search runs first
            start = time.perf_counter()
            result = searches[name](question)
            timings[name].append(time.perf_counter() - start)
            if name == "graph local" and result.fallback:
                fallbacks += 1
    print(f"{len(asked)} queries, k={K}, 1 torch thread, load {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for name, samples in timings.items():
        print(f"  {name:13s} {percentiles(samples)}")
    print(f"  graph local fell back to hybrid (no linked entity) on {fallbacks}/{len(asked)} queries")


if __name__ == "__main__":
    main()

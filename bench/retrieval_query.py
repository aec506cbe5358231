"""Hybrid query latency and nDCG@10: agentkit's embedded store vs LangChain's
EnsembleRetriever([BM25Retriever, FAISS retriever]) over the same chunks.

Both see the same texts: the chunks agentkit's index holds (`Chunk.content`, title and
text), with the same all-MiniLM-L6-v2 vectors (FAISS is built from the store's vectors)
and the same embeddings object for the query. Both return the 10 best chunks, fused by
reciprocal rank (k=60, equal weights). Latency is per query, query embedding included;
queries alternate which side runs first. nDCG@10 counts chunks as documents at the rank
of their best chunk (as `agentkit eval retrieval` does). Goal: ours p50 <= 0.5 x theirs,
nDCG@10 equal or better.

    .venv/bin/python bench/retrieval_query.py --corpus .../corpus.jsonl \\
        --queries .../queries.jsonl --qrels .../qrels/train.tsv --split train

The corpus is indexed into the workspace's embedded store named like `agentkit eval
retrieval` names it (reused when it is already there).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

import numpy as np
import torch

from agentkit.evals.retrieval.loading import load_beir
from agentkit.evals.retrieval.metrics import documents_by_best_rank, ndcg_at_k
from agentkit.evals.retrieval.results import Latency
from agentkit.evals.corpus_store import default_store_name, index_corpus, store_config
from agentkit.rag.chunking import ChunkingConfig
from agentkit.rag.fusion import FusionConfig
from agentkit.rag.open import open_index
from agentkit.workspace import find_workspace

K = 10


def load_avg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def langchain_retriever(chunks: list, vectors: np.ndarray, embeddings: object) -> object:
    """EnsembleRetriever([BM25Retriever, FAISS.as_retriever()]), k=10 each, RRF c=60."""
    from langchain_community.retrievers import BM25Retriever
    from langchain_community.vectorstores import FAISS
    from langchain_core.documents import Document

    try:
        from langchain.retrievers import EnsembleRetriever  # langchain < 1.0
    except ImportError:
        from langchain_classic.retrievers import EnsembleRetriever  # langchain 1.x

    texts = [c.content for c in chunks]
    metadatas = [{"doc_id": c.doc_id} for c in chunks]
    bm25 = BM25Retriever.from_documents(
        [Document(page_content=t, metadata=m) for t, m in zip(texts, metadatas)], k=K)
    faiss = FAISS.from_embeddings(list(zip(texts, vectors.tolist())), embeddings,  # type: ignore[arg-type]
                                  metadatas=metadatas)
    return EnsembleRetriever(retrievers=[bm25, faiss.as_retriever(search_kwargs={"k": K})],
                             weights=[0.5, 0.5], c=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--queries", type=Path, required=True)
    parser.add_argument("--qrels", type=Path, required=True)
    parser.add_argument("--split", default=None)
    parser.add_argument("--limit", type=int, default=None, help="at most N queries")
    parser.add_argument("--store", default=None, help="store name (default: as the eval names it)")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch (and FAISS) threads for both sides (default 1: on a loaded "
                        "machine more threads spin against each other)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    import faiss

    faiss.omp_set_num_threads(args.threads)
    data = load_beir(args.corpus, args.queries, args.qrels, split=args.split, limit=args.limit)
    chunking = ChunkingConfig()
    workspace = find_workspace()
    name = args.store or default_store_name(args.corpus, chunking)
    index = open_index(store_config(name), workspace)
    report = index_corpus(index, args.corpus, workspace, chunking)
    print(f"store {name!r}: {report.summary()}", flush=True)

    snapshot = index.store._current()  # bench only: the store's chunks and vectors, aligned
    theirs = langchain_retriever(snapshot.chunks, snapshot.vectors, index.embeddings)
    fusion = FusionConfig(method="rrf", rrf_k=60)

    def ours(query: str) -> list[str]:
        return [h.chunk.doc_id for h in index.search(query, mode="hybrid", k=K, fusion=fusion)]

    def langchain(query: str) -> list[str]:
        return [d.metadata["doc_id"] for d in theirs.invoke(query)]  # type: ignore[attr-defined]

    sides = {"agentkit": ours, "langchain": langchain}
    for run in sides.values():  # warm up: BM25 index, vectors, first-call costs
        run(data.queries[0].text)
    latency: dict[str, list[float]] = {side: [] for side in sides}
    ndcg: dict[str, list[float]] = {side: [] for side in sides}
    print(f"{len(data.queries)} queries, {len(snapshot.chunks)} chunks, torch threads "
          f"{torch.get_num_threads()}, load average {load_avg()}", flush=True)
    for number, query in enumerate(data.queries):
        order = list(sides) if number % 2 == 0 else list(reversed(sides))
        for side in order:
            started = time.perf_counter()
            doc_ids = sides[side](query.text)
            latency[side].append((time.perf_counter() - started) * 1000)
            ranking = documents_by_best_rank(doc_ids)
            ndcg[side].append(ndcg_at_k(ranking, data.qrels[query.id], 10))
    index.store.close()

    figures = {side: {"latency_ms": Latency.of(latency[side]).model_dump(),
                      "ndcg_at_10": statistics.fmean(ndcg[side])} for side in sides}
    for side, fig in figures.items():
        lat = fig["latency_ms"]
        print(f"{side:9}: p50 {lat['p50']:6.1f} ms  p95 {lat['p95']:6.1f} ms  "
              f"nDCG@10 {fig['ndcg_at_10']:.4f}")
    ratio = figures["agentkit"]["latency_ms"]["p50"] / figures["langchain"]["latency_ms"]["p50"]
    better = figures["agentkit"]["ndcg_at_10"] >= figures["langchain"]["ndcg_at_10"]
    print(f"p50 ratio agentkit / langchain: {ratio:.3f} (goal <= 0.5: "
          f"{'met' if ratio <= 0.5 else 'NOT met'}); nDCG@10 equal or better: "
          f"{'yes' if better else 'NO'}; load average {load_avg()}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({
            "corpus": str(args.corpus), "queries": len(data.queries), "chunks": len(snapshot.chunks),
            "threads": torch.get_num_threads(), "figures": figures, "p50_ratio": ratio,
            "load_average": os.getloadavg(),
        }, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()

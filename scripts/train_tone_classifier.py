"""Train the shipped tone classifier (`agentkit/tone/classifier.json`) on the public data
in ../shared/data/tone_style and report each head's held-out accuracy.

Heads (logistic regression over normalized all-MiniLM-L6-v2 embeddings):
  toxicity   ParaDetox toxic sentences vs their first human rewrite (CC0)
  politeness Stanford Politeness Corpus, polite vs impolite quartile (Apache-2.0 repo)
  formality  SQUINKY!, label_threshold formal vs informal (no license stated; scores only)
and a fluency head: the base model's mean NLL per token of ParaDetox rewrites vs the
same rewrites with their words shuffled. Every head is measured on a split (by a hash of
the seed and the record id) that its training never saw; ParaDetox items in the
evaluator's held-out split (`agentkit.tone.in_heldout`) are not used at all.

    pip install -e '.[bench]'   # scikit-learn
    OMP_NUM_THREADS=1 python scripts/train_tone_classifier.py [--data ../shared/data/tone_style]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import time
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

from agentkit.tone.classifier import FORMAT, WEIGHTS, FluencyHead, Head, ToneWeights, embed
from agentkit.tone.data import in_heldout
from agentkit.tone.fluency import mean_nll

TEST_FRACTION = 0.2


def is_test(record_id: str, seed: int) -> bool:
    """The classifier's own test split (by hash, independent of file order)."""
    digest = hashlib.sha256(f"classifier:{seed}:{record_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < TEST_FRACTION


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def toxicity_rows(data: Path, seed: int, items: int) -> list[tuple[str, str, int]]:
    pairs = [p for p in read_jsonl(data / "paradetox/pairs.jsonl") if not in_heldout(p["id"])]
    random.Random(seed).shuffle(pairs)
    return [row for p in pairs[:items] for row in ((p["id"], p["toxic"], 1), (p["id"], p["neutral"][0], 0))]


def labelled_rows(path: Path, key: str, positive: str, negative: str) -> list[tuple[str, str, int]]:
    return [(r["id"], r["text"], int(r[key] == positive)) for r in read_jsonl(path)
            if r[key] in (positive, negative)]


def fit_head(rows: list[tuple[str, str, int]], seed: int, positive: str, negative: str, source: str) -> Head:
    started = time.perf_counter()
    features = embed([text for _, text, _ in rows])
    labels = np.asarray([label for *_, label in rows])
    test = np.asarray([is_test(rid, seed) for rid, *_ in rows])
    model = LogisticRegression(C=4.0, max_iter=2000).fit(features[~test], labels[~test])
    accuracy = float((model.predict(features[test]) == labels[test]).mean())
    print(f"{positive} vs {negative}: held-out accuracy {accuracy:.3f} "
          f"(train {int((~test).sum())}, held out {int(test.sum())}, {time.perf_counter() - started:.0f} s)")
    return Head(positive=positive, negative=negative, weights=[round(float(w), 6) for w in model.coef_[0]],
                bias=float(model.intercept_[0]), heldout_accuracy=round(accuracy, 4),
                train_rows=int((~test).sum()), heldout_rows=int(test.sum()), source=source)


def fit_fluency(data: Path, seed: int, items: int) -> FluencyHead:
    started = time.perf_counter()
    rng = random.Random(seed)
    pairs = [p for p in read_jsonl(data / "paradetox/pairs.jsonl")
             if not in_heldout(p["id"]) and len(p["neutral"][0].split()) >= 5]
    rng.shuffle(pairs)
    rows = []
    for p in pairs[:items]:
        words = p["neutral"][0].split()
        shuffled = words[:]
        while shuffled == words:
            rng.shuffle(shuffled)
        rows += [(p["id"], p["neutral"][0], 1), (p["id"], " ".join(shuffled), 0)]
    nll = mean_nll([text for _, text, _ in rows])
    labels = np.asarray([label for *_, label in rows])
    test = np.asarray([is_test(rid, seed) for rid, *_ in rows])
    model = LogisticRegression(max_iter=1000).fit(nll[~test, None], labels[~test])
    accuracy = float((model.predict(nll[test, None]) == labels[test]).mean())
    print(f"fluent vs shuffled: held-out accuracy {accuracy:.3f} (train {int((~test).sum())}, "
          f"held out {int(test.sum())}, {time.perf_counter() - started:.0f} s)")
    return FluencyHead(slope=float(model.coef_[0][0]), bias=float(model.intercept_[0]),
                       heldout_accuracy=round(accuracy, 4), train_rows=int((~test).sum()),
                       heldout_rows=int(test.sum()),
                       source="ParaDetox human rewrites vs their word-shuffled copies (CC0), "
                              "mean NLL under SmolLM2-135M-Instruct")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=Path("../shared/data/tone_style"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--toxicity-items", type=int, default=2500, help="ParaDetox pairs (2 rows each)")
    parser.add_argument("--fluency-items", type=int, default=300, help="rewrites (2 rows each)")
    parser.add_argument("--out", type=Path, default=WEIGHTS)
    args = parser.parse_args()
    heads = {
        "toxicity": fit_head(toxicity_rows(args.data, args.seed, args.toxicity_items), args.seed,
                             "toxic", "neutral", "ParaDetox (s-nlp/paradetox, CC0 1.0), toxic vs first rewrite"),
        "politeness": fit_head(labelled_rows(args.data / "stanford_politeness/requests.jsonl",
                                             "label_quartile", "polite", "impolite"), args.seed,
                               "polite", "impolite", "Stanford Politeness Corpus (sudhof/politeness, "
                               "repo Apache-2.0), polite vs impolite quartile"),
        "formality": fit_head(labelled_rows(args.data / "squinky_formality/sentences.jsonl",
                                            "label_threshold", "formal", "informal"), args.seed,
                              "formal", "informal", "SQUINKY! (Lahiri 2015; no license stated), "
                              "formal (>=5) vs informal (<=3)"),
    }
    weights = ToneWeights(format=FORMAT, embedder="all-MiniLM-L6-v2 (normalized)", seed=args.seed,
                          heads=heads, fluency=fit_fluency(args.data, args.seed, args.fluency_items))
    args.out.write_text(weights.model_dump_json() + "\n", encoding="utf-8")
    print(f"wrote {args.out} ({args.out.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()

"""Second-stage reranking of hits: an offline learned default, or a cross-encoder.

`make_reranker(None)` gives `LearnedReranker`: a logistic model over per-candidate features
(the first-stage scores in `Hit.scores` and their ranks among the candidates, query-term
coverage; optionally the best MiniLM query-sentence similarity), whose few parameters ship
in `reranker_scifact.json` (fit on BEIR SciFact by `scripts/train_reranker.py`, which also
records the held-out figures). Any other spec names a sentence-transformers CrossEncoder.
"""

from __future__ import annotations

import json
import math
import threading
from abc import ABC, abstractmethod
from collections import OrderedDict
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from agentkit.errors import ConfigError
from agentkit.rag.chunks import Hit
from agentkit.rag.text import sentences, terms

DEFAULT_PARAMS = Path(__file__).with_name("reranker_scifact.json")
PREVIOUS_KEY = "retrieval"
"""`Hit.scores` key keeping the score a hit had before it was first reranked."""
MAX_SENTENCES = 32
"""Sentences per chunk that sentence features look at (the first ones)."""

EmbedFn = Callable[[list[str]], Any]
"""Texts -> one vector per text (list of lists or an (n, d) array)."""

FEATURES = (
    "hybrid", "bm25", "dense", "bm25_rank", "dense_rank", "dense_gap", "coverage",
    "sent_max", "sent_gap", "sent_top2",
)


class Reranker(ABC):
    """Reorders first-stage hits; subclasses implement `score`."""

    key: str = "rerank"
    """`Hit.scores` key the new score is also stored under."""

    @abstractmethod
    def score(self, query: str, hits: Sequence[Hit]) -> list[float]:
        """One score per hit, higher is better."""

    def rerank(self, query: str, hits: list[Hit], k: int) -> list[Hit]:
        """The best `k` hits by `score` (ties keep the input order), score replaced.

        The previous score stays in `scores["retrieval"]` (a second reranking keeps the
        first-stage one there) and the new one is also put in `scores[self.key]`."""
        if k <= 0 or not hits:
            return []
        values = [float(v) for v in self.score(query, hits)]
        order = sorted(range(len(hits)), key=lambda i: -values[i])[:k]
        return [_rescored(hits[i], values[i], self.key) for i in order]


def _rescored(hit: Hit, score: float, key: str) -> Hit:
    scores = {PREVIOUS_KEY: hit.score, **hit.scores, key: score}
    return hit.model_copy(update={"score": score, "scores": scores})


# --- features --------------------------------------------------------------------------


def _stage(hits: Sequence[Hit], key: str) -> np.ndarray:
    """`scores[key]` per hit; a hit without it (or with a non-finite one) gets the lowest
    present value; NaN for all when no hit has it (the feature then counts as neutral)."""
    values = [h.scores.get(key) for h in hits]
    values = [v if v is not None and math.isfinite(v) else None for v in values]
    present = [v for v in values if v is not None]
    low = min(present) if present else np.nan
    return np.array([low if v is None else v for v in values], dtype=np.float64)


def _inverse_rank(values: np.ndarray) -> np.ndarray:
    """1 / rank by value (best = 1; ties keep the input order)."""
    ranks = np.empty(len(values))
    ranks[np.argsort(-values, kind="stable")] = np.arange(1, len(values) + 1)
    return np.where(np.isnan(values), np.nan, 1.0 / ranks)


def candidate_features(
    query: str, hits: Sequence[Hit], sentence_sims: Sequence[np.ndarray] | None = None
) -> dict[str, np.ndarray]:
    """Every feature in `FEATURES` for each hit (NaN where it cannot be computed).

    First-stage scores come from `hit.scores` ("hybrid", "bm25", "dense"); without "hybrid"
    the input order stands in (1 / (60 + rank)). `sentence_sims[i]` holds the query's
    cosine to each sentence of hit i (None: no sentence features)."""
    if not hits:
        return {name: np.zeros(0) for name in FEATURES}
    hybrid = _stage(hits, "hybrid")
    if np.isnan(hybrid).all():
        hybrid = 1.0 / (60.0 + np.arange(1, len(hits) + 1))
    bm25, dense = _stage(hits, "bm25"), _stage(hits, "dense")
    q_terms = terms(query)
    coverage = [len(q_terms & terms(h.chunk.content)) / len(q_terms) if q_terms else np.nan for h in hits]
    top_hybrid, top_bm25 = np.max(hybrid), np.max(bm25)
    features = {
        "hybrid": hybrid / top_hybrid if top_hybrid > 0 else np.full(len(hits), np.nan),
        "bm25": bm25 / top_bm25 if top_bm25 > 0 else np.where(np.isnan(bm25), np.nan, 0.0),
        "dense": dense,
        "bm25_rank": _inverse_rank(bm25),
        "dense_rank": _inverse_rank(dense),
        "dense_gap": dense - np.max(dense),
        "coverage": np.array(coverage),
    }
    best = np.full(len(hits), np.nan)
    top2 = np.full(len(hits), np.nan)
    for i, sims in enumerate(sentence_sims or []):
        if len(sims):
            ordered = np.sort(np.asarray(sims, dtype=np.float64))[::-1]
            best[i], top2[i] = ordered[0], ordered[:2].mean()
    known = best[~np.isnan(best)]
    features.update(sent_max=best, sent_gap=best - known.max() if len(known) else best, sent_top2=top2)
    return features


# --- the learned default ---------------------------------------------------------------


def load_params(source: str | Path | Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The reranker parameter file (default: the shipped one), checked for shape."""
    where = str(source) if isinstance(source, (str, Path)) else "parameters"
    try:
        params = dict(source) if isinstance(source, Mapping) else json.loads(
            Path(source or DEFAULT_PARAMS).read_text())
        variants = params["variants"]
        for name, variant in variants.items():
            for model in variant["models"]:
                unknown = set(model["features"]) - set(FEATURES)
                sizes = {len(model[key]) for key in ("mean", "scale", "weights")}
                float(model["bias"])
                if unknown or sizes != {len(model["features"])}:
                    raise ValueError(f"variant {name!r}: unknown features {sorted(unknown)} or "
                                     "not one mean/scale/weight per feature")
            if variant["models"][-1]["requires"]:
                raise ValueError(f"variant {name!r}: the last model must require no scores")
        if params.get("default", "") not in variants:
            raise ValueError("'default' must name one of 'variants'")
    except (OSError, ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
        raise ConfigError(f"reranker parameters {where!r} could not be read ({exc})") from exc
    return params


class _Linear:
    """One logistic model of a variant: standardized features, weights, bias."""

    def __init__(self, spec: Mapping[str, Any]):
        self.requires = frozenset(spec["requires"])
        self.features: list[str] = list(spec["features"])
        self.mean, self.scale, self.weights = (
            np.asarray(spec[key], dtype=np.float64) for key in ("mean", "scale", "weights"))
        self.bias = float(spec["bias"])

    def __call__(self, raw: np.ndarray) -> np.ndarray:
        """Logit per row of raw features; a NaN counts as the training mean (neutral)."""
        x = np.where(np.isnan(raw), self.mean, raw)
        return (x - self.mean) / self.scale @ self.weights + self.bias


def _embed_fn(embeddings: Any) -> EmbedFn:
    """`embeddings.embed_documents`, a callable as is, or (None) the default MiniLM, lazily."""
    if embeddings is None:
        def default(texts: list[str]) -> Any:
            from agentkit.models import EmbeddingsConfig, get_embeddings

            return get_embeddings(EmbeddingsConfig()).embed_documents(texts)

        return default
    if hasattr(embeddings, "embed_documents"):
        return embeddings.embed_documents
    if callable(embeddings):
        return embeddings
    raise ConfigError(f"reranker embeddings: need LangChain Embeddings or a callable, "
                      f"got {type(embeddings).__name__}")


class LearnedReranker(Reranker):
    """Logistic models over `candidate_features`, parameters from a small JSON file.

    `variant` picks a parameter set: "fast" (the default: first-stage scores, their ranks
    and query-term coverage; no model call, a few ms per query) or "sentences" (adds MiniLM
    query-sentence similarity: a little better, but embeds every candidate sentence,
    seconds per query on a small CPU unless cached). Each variant holds models for the
    first-stage scores a hit list can carry (hybrid with "bm25" and "dense"; dense only;
    bm25 only; none): the first whose `requires` keys some hit has is used, so a list from
    another store or mode is reordered by a model fit for it (or kept as it is).

    `embeddings` (LangChain `Embeddings` or texts -> vectors; None = the default
    all-MiniLM-L6-v2, loaded on first use) is only called by sentence features and must be
    the model they were fit with. Sentence vectors are cached by text, at most `cache_size`."""

    key = "learned"

    def __init__(
        self,
        embeddings: Any = None,
        variant: str | None = None,
        params: str | Path | Mapping[str, Any] | None = None,
        cache_size: int = 50_000,
    ):
        self.params = load_params(params)
        self.variant = variant or self.params["default"]
        if self.variant not in self.params["variants"]:
            raise ConfigError(f"reranker variant {self.variant!r} unknown; "
                              f"known: {', '.join(self.params['variants'])}")
        spec = self.params["variants"][self.variant]
        self.depth = int(spec.get("depth", 30))
        """How many first-stage hits the parameters were fit to rerank."""
        self.models = [_Linear(model) for model in spec["models"]]
        self.uses_sentences = any(f.startswith("sent_") for m in self.models for f in m.features)
        self._embed = _embed_fn(embeddings) if self.uses_sentences else None
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def model_for(self, hits: Sequence[Hit]) -> _Linear:
        """The first model whose required score keys some hit carries."""
        present = {key for h in hits for key in h.scores}
        return next(m for m in self.models if m.requires <= present)

    def _vectors(self, texts: list[str]) -> np.ndarray:
        """Unit vectors for `texts`, embedding those not cached in one batch."""
        assert self._embed is not None
        with self._lock:
            missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
        fresh = np.asarray(self._embed(missing), dtype=np.float64) if missing else np.zeros((0, 1))
        fresh = fresh / np.maximum(np.linalg.norm(fresh, axis=1, keepdims=True), 1e-12)
        with self._lock:
            found = {**{t: self._cache[t] for t in texts if t in self._cache}, **dict(zip(missing, fresh))}
            for text in missing:
                self._cache[text] = found[text]
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return np.stack([found[t] for t in texts])

    def sentence_sims(self, query: str, hits: Sequence[Hit]) -> list[np.ndarray]:
        """Cosine of the query to each of the first `MAX_SENTENCES` sentences of each hit."""
        per_hit = [sentences(h.chunk.text)[:MAX_SENTENCES] for h in hits]
        vectors = self._vectors([query, *(s for group in per_hit for s in group)])
        bounds = np.cumsum([0, *map(len, per_hit)])
        sims = vectors[1:] @ vectors[0]
        return [sims[a:b] for a, b in zip(bounds[:-1], bounds[1:])]

    def score(self, query: str, hits: Sequence[Hit]) -> list[float]:
        """Logit of relevance of each hit, by the model fit for the scores the hits carry."""
        if not hits:
            return []
        model = self.model_for(hits)
        sims = self.sentence_sims(query, hits) if any(f.startswith("sent_") for f in model.features) else None
        values = candidate_features(query, hits, sims)
        return model(np.column_stack([values[name] for name in model.features])).tolist()


# --- cross-encoders --------------------------------------------------------------------


class CrossEncoderReranker(Reranker):
    """A sentence-transformers CrossEncoder (local folder or hub id), loaded on first use."""

    key = "cross_encoder"

    def __init__(self, model: str, batch_size: int = 32, device: str = "cpu"):
        self.model = model
        self.batch_size = batch_size
        self.device = device
        self._encoder: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        with self._lock:
            if self._encoder is None:
                try:
                    from sentence_transformers import CrossEncoder

                    self._encoder = CrossEncoder(str(self.model), device=self.device)
                except (OSError, ValueError, RuntimeError, ImportError) as exc:
                    raise ConfigError(
                        f"cross-encoder {self.model!r} could not be loaded ({exc}); give a local "
                        "sentence-transformers CrossEncoder folder (offline there is no hub), "
                        "or use the default reranker (spec None or 'default')"
                    ) from exc
            return self._encoder

    def score(self, query: str, hits: Sequence[Hit]) -> list[float]:
        """The cross-encoder's score of (query, chunk content) for each hit."""
        if not hits:
            return []
        pairs = [(query, h.chunk.content) for h in hits]
        values = self._load().predict(pairs, batch_size=self.batch_size, show_progress_bar=False)
        return np.asarray(values, dtype=np.float64).reshape(len(hits), -1)[:, -1].tolist()


def make_reranker(spec: str | None = None, embeddings: Any = None) -> Reranker:
    """None or "default" -> `LearnedReranker` (offline, shipped parameters, "fast" variant);
    anything else names a CrossEncoder (local folder or hub id)."""
    if spec is None or spec.strip() in ("", "default"):
        return LearnedReranker(embeddings)
    return CrossEncoderReranker(spec)

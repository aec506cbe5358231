"""The shipped tone classifier: one logistic-regression head per axis over normalized
all-MiniLM-L6-v2 embeddings, weights in `classifier.json` (trained by
`scripts/train_tone_classifier.py`), predicted with numpy."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from pathlib import Path

import numpy as np
from pydantic import BaseModel, Field

from agentkit.errors import ConfigError, read_text

WEIGHTS = Path(__file__).with_name("classifier.json")
FORMAT = "agentkit.tone_classifier/1"
AXES = ("toxicity", "politeness", "formality")


class Head(BaseModel):
    """One logistic-regression head: P(positive) = sigmoid(w . x + b), measured on a
    split its training never saw."""

    positive: str = Field(description="the label P(positive) is about, e.g. toxic")
    negative: str
    weights: list[float]
    bias: float
    heldout_accuracy: float
    train_rows: int
    heldout_rows: int
    source: str = Field(description="data the head was trained on, with its license")

    def predict(self, features: np.ndarray) -> np.ndarray:
        """P(positive) for each row of `features`."""
        return 1.0 / (1.0 + np.exp(-(features @ np.asarray(self.weights) + self.bias)))


class FluencyHead(BaseModel):
    """P(fluent) = sigmoid(slope * mean_nll + bias), from the base model's mean negative
    log-likelihood per token of the text as an assistant reply (see `fluency.py`)."""

    slope: float
    bias: float
    heldout_accuracy: float
    train_rows: int
    heldout_rows: int
    source: str

    def predict(self, mean_nll: np.ndarray) -> np.ndarray:
        """P(fluent) for each mean NLL."""
        return 1.0 / (1.0 + np.exp(-(self.slope * mean_nll + self.bias)))


class ToneWeights(BaseModel):
    """What `classifier.json` holds."""

    format: str = FORMAT
    embedder: str
    seed: int
    heads: dict[str, Head]
    fluency: FluencyHead


_REBUILD = "reinstall agentkit, or rebuild it with `python scripts/train_tone_classifier.py`"


@cache
def load_weights(path: Path = WEIGHTS) -> ToneWeights:
    """The classifier weights (clear error if the file is missing or not one)."""
    text = read_text(path, "tone classifier", _REBUILD)
    try:
        return ToneWeights.model_validate_json(text)
    except ValueError as exc:
        raise ConfigError(f"tone classifier {path}: cannot load it ({exc.__class__.__name__})\n"
                          f"    fix: {_REBUILD}") from None


def embed(texts: Sequence[str]) -> np.ndarray:
    """Normalized MiniLM embeddings, one row per text (the shared embedder)."""
    from agentkit.models import EmbeddingsConfig, get_embeddings

    if not texts:
        return np.zeros((0, 384))
    return np.asarray(get_embeddings(EmbeddingsConfig()).embed_documents(list(texts)))


def classify(features: np.ndarray, weights: ToneWeights | None = None) -> dict[str, np.ndarray]:
    """Axis -> P(positive label) per row of MiniLM `features`."""
    weights = weights or load_weights()
    return {axis: head.predict(features) for axis, head in weights.heads.items()}

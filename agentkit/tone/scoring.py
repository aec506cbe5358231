"""Score rewrites against their sources: style (the classifier), meaning (MiniLM cosine
to the source, and to references when given), fluency, and the joint score per sentence
J = style x meaning x fluency (as ParaDetox's J), averaged over sentences by `mean_scores`."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from pydantic import BaseModel, Field

from agentkit.tone.classifier import ToneWeights, classify, embed, load_weights
from agentkit.tone.fluency import mean_nll

METRICS = ("joint", "style", "meaning", "meaning_ref", "fluency", "politeness", "formality")


class ToneScores(BaseModel):
    """One rewrite's scores, all in [0, 1]. style = 1 - P(toxic); politeness = P(polite);
    formality = P(formal); meaning = cosine to the source (negatives as 0); meaning_ref =
    the best cosine to a reference (None without references); joint = style x meaning x fluency."""

    style: float
    politeness: float
    formality: float
    meaning: float
    meaning_ref: float | None = None
    fluency: float
    joint: float = Field(description="style x meaning x fluency")


class ToneScorer:
    """Scores rewrites with the shipped classifier, the shared MiniLM embedder and the
    base model (`fluency_model`, default the bundled SmolLM2, which the fluency head is
    calibrated for)."""

    def __init__(self, weights: ToneWeights | None = None, fluency_model: str | None = None):
        self.weights = weights or load_weights()
        self.fluency_model = fluency_model

    def score(
        self, sources: Sequence[str], rewrites: Sequence[str],
        references: Sequence[Sequence[str]] | None = None,
    ) -> list[ToneScores]:
        """Scores of each rewrite against its source (and its references, if given)."""
        if len(sources) != len(rewrites) or (references is not None and len(references) != len(rewrites)):
            raise ValueError("sources, rewrites and references must have one entry per rewrite")
        if not rewrites:
            return []
        refs = [list(r) for r in references] if references is not None else [[] for _ in rewrites]
        flat = [t for r in refs for t in r]
        vectors = embed([*rewrites, *sources, *flat])
        out, src, ref = np.split(vectors, [len(rewrites), 2 * len(rewrites)])
        axes = classify(out, self.weights)
        meaning = np.clip(np.sum(out * src, axis=1), 0.0, 1.0)
        fluency = self.weights.fluency.predict(mean_nll(rewrites, self.fluency_model))
        scores, at = [], 0
        for i, own in enumerate(refs):
            best = float(np.clip(ref[at:at + len(own)] @ out[i], 0.0, 1.0).max()) if own else None
            at += len(own)
            style = 1.0 - float(axes["toxicity"][i])
            scores.append(ToneScores(
                style=style, politeness=float(axes["politeness"][i]),
                formality=float(axes["formality"][i]), meaning=float(meaning[i]), meaning_ref=best,
                fluency=float(fluency[i]), joint=style * float(meaning[i]) * float(fluency[i])))
        return scores


def mean_scores(scores: Sequence[ToneScores]) -> dict[str, float]:
    """Each metric averaged over the rewrites (meaning_ref over those with references)."""
    means: dict[str, float] = {}
    for name in METRICS:
        values = [v for s in scores if (v := getattr(s, name)) is not None]
        if values:
            means[name] = float(np.mean(values))
    return means

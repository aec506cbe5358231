"""Choosing the next token from one row of logits: greedy, or temperature with nucleus (top-p)."""

from __future__ import annotations

import numpy as np

_FIRST_CANDIDATES = 64  # nucleus search starts with this many top tokens, growing 4x as needed


def pick_token(logits: np.ndarray, temperature: float, top_p: float, rng: np.random.Generator) -> int:
    """Greedy at temperature 0; otherwise a draw from softmax(logits / temperature) restricted
    to the smallest set of most likely tokens whose probability reaches `top_p`. Forbidden
    tokens (logit -inf) are never drawn."""
    if temperature == 0:
        return int(np.argmax(logits))
    scaled = (logits - logits.max()) / temperature
    probs = np.exp(scaled, dtype=np.float64)
    probs /= probs.sum()
    if top_p >= 1.0:
        return int(rng.choice(len(probs), p=probs))
    candidates = _nucleus(probs, top_p)
    weights = probs[candidates] / probs[candidates].sum()
    return int(candidates[rng.choice(len(candidates), p=weights)])


def _nucleus(probs: np.ndarray, top_p: float) -> np.ndarray:
    """Token ids of the nucleus, most likely first."""
    count = min(_FIRST_CANDIDATES, len(probs))
    while True:
        top = np.argpartition(probs, -count)[-count:] if count < len(probs) else np.arange(len(probs))
        top = top[np.argsort(-probs[top], kind="stable")]
        reach = np.cumsum(probs[top])
        if reach[-1] >= top_p or count == len(probs):
            return top[: int(np.searchsorted(reach, top_p)) + 1]
        count = min(count * 4, len(probs))

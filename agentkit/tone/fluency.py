"""Fluency from the base model: the mean negative log-likelihood per token of a text as
the assistant's whole reply to a fixed request (end of turn included), mapped to [0, 1]
by the shipped fluency head (a logistic fit of human rewrites vs their word-shuffled
copies; see docs/tone.md). Scored with the base weights even when adapters are loaded
into the shared model (the adapter host's lock keeps them off)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

REQUEST = "Write one sentence."
BATCH = 16


def mean_nll(texts: Sequence[str], model: str | None = None) -> np.ndarray:
    """Mean NLL per token of each text under the local base model `model` (None: the
    bundled SmolLM2), in batches."""
    from langchain_core.messages import HumanMessage

    from agentkit.models import ChatModelConfig, get_chat_model
    from agentkit.models.scoring import option_ids

    chat = get_chat_model(ChatModelConfig(model=model, max_tokens=1))
    request = [HumanMessage(REQUEST)]
    values: list[float] = []
    for start in range(0, len(texts), BATCH):
        chunk = [t.strip() or " " for t in texts[start:start + BATCH]]
        sums = chat.score_options(request, chunk)
        lengths = [len(ids) for ids in option_ids(chat.tokens, chunk)]
        values += [-s / n for s, n in zip(sums, lengths, strict=True)]
    return np.asarray(values)

"""Fluency from the base model: the mean negative log-likelihood per token of a text as
the assistant's whole reply to a fixed request (end of turn included), mapped to [0, 1]
by the shipped fluency head (a logistic fit of human rewrites vs their word-shuffled
copies; see docs/tone.md)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

REQUEST = "Write one sentence."
BATCH = 16


def mean_nll(texts: Sequence[str], model: str | None = None) -> np.ndarray:
    """Mean NLL per token of each text under the local model `model` (None: the bundled
    base model), batched."""
    from langchain_core.messages import HumanMessage

    from agentkit.models.loading import shared_model
    from agentkit.models.prompting import render_prompt
    from agentkit.models.scoring import continuation_log_likelihoods, option_ids

    loaded = shared_model(model)
    prompt = loaded.tokenizer(render_prompt(loaded.tokenizer, [HumanMessage(REQUEST)]),
                              add_special_tokens=False)["input_ids"]
    values: list[float] = []
    for start in range(0, len(texts), BATCH):
        chunk = [t.strip() or " " for t in texts[start:start + BATCH]]
        sums = continuation_log_likelihoods(loaded, prompt, chunk)
        lengths = [len(ids) for ids in option_ids(loaded, chunk)]
        values += [-s / n for s, n in zip(sums, lengths, strict=True)]
    return np.asarray(values)

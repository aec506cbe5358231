"""Log-likelihood of candidate continuations of a prompt (for choosing among labels)."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from agentkit.models.loading import LoadedModel


@torch.inference_mode()
def continuation_log_likelihoods(
    loaded: LoadedModel, prompt_ids: Sequence[int], options: Sequence[str]
) -> list[float]:
    """Sum of token log-probabilities of each option (then end of turn) after the prompt.

    One batched forward pass over prompt+option rows (right padded); only the logits of
    the option positions are computed.
    """
    if not options:
        raise ValueError("need at least one option to score")
    tail = [] if loaded.end_of_turn_id is None else [loaded.end_of_turn_id]
    continuations = [
        loaded.tokenizer(option, add_special_tokens=False)["input_ids"] + tail
        for option in options
    ]
    longest = max(len(c) for c in continuations)
    prompt = list(prompt_ids)
    ids = torch.tensor(
        [prompt + c + [loaded.pad_id] * (longest - len(c)) for c in continuations]
    )
    mask = torch.tensor(
        [[1] * (len(prompt) + len(c)) + [0] * (longest - len(c)) for c in continuations]
    )
    logits = loaded.model(input_ids=ids, attention_mask=mask, logits_to_keep=longest + 1).logits
    log_probs = torch.log_softmax(logits[:, :-1, :].float(), dim=-1)
    scores = []
    for row, continuation in enumerate(continuations):
        picked = log_probs[row, torch.arange(len(continuation)), torch.tensor(continuation)]
        scores.append(picked.sum().item())
    return scores

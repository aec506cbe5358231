"""Token-by-token decoding over a left-padded batch with a KV cache."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol

import numpy as np
import torch
from transformers import DynamicCache

from agentkit.models.loading import LoadedModel
from agentkit.models.sampling import pick_token


class Decoder:
    """Incremental forward passes: the prompt once, then one new token per row per step."""

    def __init__(self, loaded: LoadedModel, rows: Sequence[Sequence[int]]) -> None:
        if not rows or any(len(row) == 0 for row in rows):
            raise ValueError("Decoder needs at least one prompt and no empty prompts")
        width = max(len(row) for row in rows)
        self._model = loaded.model
        self._ids = torch.tensor(
            [[loaded.pad_id] * (width - len(row)) + list(row) for row in rows]
        )
        self._mask = torch.tensor([[0] * (width - len(row)) + [1] * len(row) for row in rows])
        self._positions = (self._mask.cumsum(-1) - 1).clamp(min=0)
        self._cache = DynamicCache(config=self._model.config)

    def prompt_logits(self) -> torch.Tensor:
        """Next-token logits after each row's prompt, shape [rows, vocab]."""
        return self._forward(self._ids)

    def feed(self, tokens: torch.Tensor) -> torch.Tensor:
        """Append one token per row (shape [rows]); return the next-token logits."""
        self._mask = torch.cat([self._mask, self._mask.new_ones(len(tokens), 1)], dim=-1)
        self._positions = self._positions[:, -1:] + 1
        return self._forward(tokens[:, None])

    @torch.inference_mode()
    def _forward(self, ids: torch.Tensor) -> torch.Tensor:
        output = self._model(
            input_ids=ids,
            attention_mask=self._mask,
            position_ids=self._positions,
            cache=self._cache,
            use_cache=True,
            logits_to_keep=1,
        )
        return output.logits[:, -1, :].float()


class LogitsConstraint(Protocol):
    """Restricts which tokens each row may take next (e.g. a grammar, one state per row)."""

    def mask(self, logits: torch.Tensor) -> None:
        """Set the logits of forbidden tokens to -inf, in place, shape [rows, vocab]."""

    def accept(self, tokens: Sequence[int]) -> None:
        """Advance with the token chosen for each row."""


def generate_tokens(
    loaded: LoadedModel,
    rows: Sequence[Sequence[int]],
    max_new_tokens: int,
    temperature: float,
    constraint: LogitsConstraint | None = None,
    seed: int | None = None,
    top_p: float = 1.0,
) -> Iterator[list[int]]:
    """Yield, step by step, the next token id of every row; stop iterating to stop early.

    With a `constraint`, each step's logits are masked by it before picking, and the
    picked tokens are passed to it. With a `seed`, sampling is reproducible: the same
    rows, temperature, top-p and seed give the same tokens.
    """
    rng = np.random.default_rng(seed)
    decoder = Decoder(loaded, rows)
    logits = decoder.prompt_logits()
    for step in range(max_new_tokens):
        if constraint is not None:
            constraint.mask(logits)
        tokens = [pick_token(row, temperature, top_p, rng) for row in logits.numpy()]
        if constraint is not None:
            constraint.accept(tokens)
        yield tokens
        if step + 1 < max_new_tokens:
            logits = decoder.feed(torch.tensor(tokens))

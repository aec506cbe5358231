"""Look inside generation: tokenize, one greedy forward step with its top-k, decode."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import torch
from langchain_core.messages import HumanMessage

from agentkit.models.adapters import host_for
from agentkit.models.decoding import Decoder
from agentkit.models.loading import LoadedModel
from agentkit.models.prompting import render_prompt


@dataclass(frozen=True)
class Token:
    """A token id and the text it decodes to on its own."""

    id: int
    text: str


@dataclass(frozen=True)
class Step:
    """One greedy step: the chosen token, its probability, and the top-k candidates."""

    chosen: Token
    probability: float
    top: list[tuple[Token, float]]


def tokenize(loaded: LoadedModel, prompt: str, chat: bool = False) -> list[Token]:
    """The prompt's tokens; with `chat`, after wrapping it as a user turn in the template."""
    text = render_prompt(loaded.tokenizer, [HumanMessage(prompt)]) if chat else prompt
    ids = loaded.tokenizer(text, add_special_tokens=not chat)["input_ids"]
    return [token(loaded, i) for i in ids]


def token(loaded: LoadedModel, token_id: int) -> Token:
    """The token `token_id` with its decoded text (special tokens included)."""
    return Token(token_id, loaded.tokenizer.decode([token_id]))


def greedy_steps(
    loaded: LoadedModel, prompt_ids: Sequence[int], max_new_tokens: int, top_k: int = 5
) -> Iterator[Step]:
    """Greedy decoding of the base model (adapters that other calls loaded into the shared
    model are off during its passes), one forward pass at a time, stopping after an
    end-of-turn token."""
    base = host_for(loaded, None)
    decoder = Decoder(loaded, [prompt_ids])
    with base.use(None):
        logits = decoder.prompt_logits()
    for step in range(max_new_tokens):
        probs = torch.softmax(logits[0], dim=-1)
        values, indices = probs.topk(top_k)
        top = [(token(loaded, int(i)), float(p)) for p, i in zip(values, indices, strict=True)]
        chosen, probability = top[0]
        yield Step(chosen, probability, top)
        if chosen.id in loaded.eos_ids or step + 1 == max_new_tokens:
            return
        with base.use(None):
            logits = decoder.feed(torch.tensor([chosen.id]))


def decode(loaded: LoadedModel, ids: Sequence[int]) -> str:
    """The text of `ids`, without special tokens."""
    return loaded.tokenizer.decode(list(ids), skip_special_tokens=True)

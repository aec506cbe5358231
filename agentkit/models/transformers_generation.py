"""Generation requests run with transformers: one request token by token, or many sharing
one left-padded batch (`LocalChatModel.generate_batch`), each forward pass under the
adapter host's lock with the request's adapter active."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence

import torch

from agentkit.models.adapters import AdapterHost
from agentkit.models.decoding import generate_tokens
from agentkit.models.generation import Generation, GenerationStats
from agentkit.models.grammar import grammar_engine
from agentkit.models.loading import LoadedModel


def run_generation(loaded: LoadedModel, host: AdapterHost, generation: Generation) -> None:
    """Generate one request into its handle (in the calling thread)."""
    run_batch(loaded, host, [generation])


def run_batch(loaded: LoadedModel, host: AdapterHost, generations: Sequence[Generation]) -> None:
    """Generate requests that share sampling, grammar and adapter in one batch."""
    first = generations[0].request
    constraint = None
    if first.grammar is not None:
        constraint = grammar_engine(loaded).mask([g.request.grammar for g in generations])
    steps = generate_tokens(loaded, [g.request.prompt for g in generations], first.completion.max_tokens,
                            first.temperature, constraint, first.seed, first.top_p)
    started, first_token = time.perf_counter(), None
    live = list(generations)

    def cpu_s() -> float:  # each row's share of the batch's passes so far
        return (time.perf_counter() - started) * torch.get_num_threads() / len(generations)

    for tokens in _steps(host, first.adapter, steps):
        first_token = first_token or time.perf_counter()
        for generation, token in zip(generations, tokens, strict=True):
            completion = generation.request.completion
            if generation not in live:
                continue
            if generation.cancelled:
                live.remove(generation)
                generation.finish(GenerationStats.of(generation, "cancelled", started, first_token, cpu_s=cpu_s()))
                continue
            text = completion.add(token)
            if text:
                generation.emit_text(text)
            if completion.finished:
                live.remove(generation)
                generation.finish(GenerationStats.of(generation, completion.finish_reason or "stop", started,
                                                     first_token, [len(generations)], cpu_s()))
        if not live:
            return
    for generation in live:  # max_tokens reached inside the decoder's own bound
        generation.finish(GenerationStats.of(generation, "length", started, first_token, [len(generations)], cpu_s()))


def _steps(host: AdapterHost, adapter: str | None, steps: Iterator[list[int]]) -> Iterator[list[int]]:
    """`steps`, each forward pass run with `adapter` active under the host's lock (the
    lock is not held between steps, so interleaved calls stay correct)."""
    while True:
        with host.use(adapter):
            tokens = next(steps, None)
        if tokens is None:
            return
        yield tokens

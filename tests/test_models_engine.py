"""The continuous-batching llama.cpp engine on the real model: requests join and leave the
running batch, each with its own grammar, sampling and stop; a full queue refuses at once;
a cancelled request frees its sequence; the engine outlives a failing request."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from langchain_core.messages import HumanMessage
from llama_reference import reference_greedy

from agentkit.errors import ContextLengthError
from agentkit.models.completion import Completion
from agentkit.models.generation import Generation, GenerationRequest
from agentkit.models.grammar import grammar_engine
from agentkit.models.llama.engine import EngineBusy, EngineSettings, LlamaEngine
from agentkit.models.loading import default_gguf_path, shared_tokens
from agentkit.models.prompting import render_prompt

pytestmark = pytest.mark.model
PERSON = {"type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
          "required": ["name", "age"]}


@pytest.fixture(scope="module")
def engine(model_cache: Path) -> Iterator[LlamaEngine]:
    running = LlamaEngine(default_gguf_path(), grammar_engine(shared_tokens(None)),
                          EngineSettings(parallel=2, max_queue=1, threads=1))
    yield running
    running.close()


def request(text: str, max_tokens: int = 24, **options: object) -> GenerationRequest:
    tokens = shared_tokens(None)
    prompt = tokens.tokenizer(render_prompt(tokens.tokenizer, [HumanMessage(text)]), add_special_tokens=False)
    stop = list(options.pop("stop", []))  # type: ignore[call-overload]
    completion = Completion(tokens.tokenizer, tokens.eos_ids, stop, max_tokens)
    return GenerationRequest(prompt["input_ids"], completion, **options)  # type: ignore[arg-type]


def test_batched_requests_each_answer_as_alone_under_their_own_grammar_and_stop(engine: LlamaEngine) -> None:
    free = request("List the numbers 1 to 7 separated by commas.")
    constrained = request("Ana is 31 years old. Give her name and age as JSON.", 40,
                          grammar=grammar_engine(shared_tokens(None)).json_schema(PERSON, "person"))
    stopped = request("List the numbers 1 to 7 separated by commas.", stop=[", 4"])
    handles = [engine.submit(Generation(r)) for r in (free, constrained, stopped)]  # 2 run, 1 waits
    texts = ["".join(h.texts()) for h in handles]
    assert texts[0] == reference_greedy(free.prompt, 24)
    assert json.loads(texts[1]) == {"name": "Ana", "age": 31}
    assert texts[2] == texts[0][: texts[0].index(", 4")]
    stats = [h.stats for h in handles]
    assert stats[0].batch_size > 1.5 and stats[0].finish_reason == "stop" and stats[2].queue_s >= 0
    assert engine.snapshot().running == engine.snapshot().waiting == 0


def test_a_full_queue_refuses_at_once_with_retry_after(engine: LlamaEngine) -> None:
    long = [engine.submit(Generation(request("Write a very long story about dragons.", 120))) for _ in range(3)]
    with pytest.raises(EngineBusy) as info:
        engine.submit(Generation(request("hello")))
    assert info.value.retry_after >= 1 and "busy" in str(info.value)
    for handle in long:
        handle.cancel()
    for handle in long:
        list(handle.texts())
    assert [h.stats.finish_reason for h in long].count("cancelled") == 3


def test_cancelling_frees_the_sequence_at_the_next_step(engine: LlamaEngine) -> None:
    handle = engine.submit(Generation(request("Write a very long story about dragons.", 300)))
    pieces = handle.texts()
    for _ in range(3):
        next(pieces)
    pieces.close()  # leaving the loop early cancels
    list(handle.texts())  # what was still on its way, up to the end
    assert handle.stats is not None and handle.stats.finish_reason == "cancelled"
    assert handle.stats.completion_tokens < 300 and engine.snapshot().running == 0


def test_a_prompt_over_the_context_is_refused_before_it_queues(engine: LlamaEngine) -> None:
    with pytest.raises(ContextLengthError, match="over by"):
        engine.submit(Generation(request("word " * 9000)))
    assert engine.snapshot().waiting == 0


def test_scoring_sequences_measure_the_likelier_continuation(engine: LlamaEngine) -> None:
    tokens = shared_tokens(None)
    prompt = request("What is the capital of France? Answer with one word.").prompt
    scores = []
    for option in ("Paris", "banana"):
        ids = tokens.tokenizer(option, add_special_tokens=False)["input_ids"] + [tokens.end_of_turn_id]
        handle = engine.submit(Generation(GenerationRequest([*prompt, *ids], Completion(
            tokens.tokenizer, tokens.eos_ids, [], 1), score_from=len(prompt))))
        list(handle.texts())
        scores.append(handle.score)
    assert scores[0] > scores[1] and all(s < 0 for s in scores)

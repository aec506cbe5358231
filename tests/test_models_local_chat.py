"""LocalChatModel on the real bundled SmolLM2-135M-Instruct (loaded once per session)."""

from __future__ import annotations

import asyncio
import copy
import time
from pathlib import Path

import pytest
import torch
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)

from llama_reference import reference_greedy

from agentkit.errors import ConfigError, ContextLengthError
from agentkit.models import ChatModelConfig, LocalChatModel, get_chat_model
from agentkit.models.context import HistoryPolicy, check_fits, token_counter, trim_history
from agentkit.models.prompting import render_prompt, safe_turns, to_turns

pytestmark = pytest.mark.model

CAPITAL = [HumanMessage("What is the capital of France?")]
COUNT = [HumanMessage("List the numbers 1 to 7 separated by commas.")]


@pytest.fixture(scope="session")
def chat(model_cache: Path) -> LocalChatModel:
    return LocalChatModel(max_tokens=24)


@pytest.fixture(scope="module")
def replies(chat: LocalChatModel) -> dict[str, AIMessage]:
    """Greedy replies computed once and compared against by several tests."""
    return {"capital": chat.invoke(CAPITAL), "count": chat.invoke(COUNT)}


def hf_greedy(chat: LocalChatModel, messages: list[BaseMessage], max_new: int) -> list[int]:
    """Reference: transformers' own generate() on the same prompt."""
    loaded = chat.loaded
    turns = [{"role": t["role"], "content": t["content"]} for t in to_turns(messages)]
    ids = loaded.tokenizer.apply_chat_template(turns, add_generation_prompt=True, tokenize=True)
    prompt = torch.tensor([ids["input_ids"]])
    with torch.inference_mode():
        out = loaded.model.generate(prompt, max_new_tokens=max_new, do_sample=False)
    return out[0, prompt.shape[1] :].tolist()


def test_invoke_matches_llama_cpp_alone_and_counts_tokens(
    chat: LocalChatModel, replies: dict[str, AIMessage]
) -> None:
    reply = replies["count"]
    assert chat.backend.kind == "llama_cpp"
    assert reply.content == reference_greedy(chat.prompt_ids(COUNT), 24)
    usage = reply.usage_metadata
    assert usage["input_tokens"] == len(chat.prompt_ids(COUNT))
    assert usage["output_tokens"] == len(chat.tokens.tokenizer(reply.content, add_special_tokens=False)["input_ids"]) + 1
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]
    metadata = reply.response_metadata
    assert (metadata["finish_reason"], metadata["model_name"], metadata["engine"]) == \
        ("stop", "SmolLM2-135M-Instruct.Q4_1", "llama_cpp")
    assert 0 <= metadata["queue_s"] <= metadata["first_token_s"] <= metadata["total_s"]


def test_transformers_engine_matches_transformers_generate(model_cache: Path) -> None:
    chat = LocalChatModel(max_tokens=24, engine="transformers")
    reply = chat.invoke(CAPITAL)
    reference = hf_greedy(chat, CAPITAL, 24)
    assert reply.content == chat.tokens.tokenizer.decode(reference, skip_special_tokens=True)
    assert "Paris" in reply.content
    assert reply.usage_metadata["output_tokens"] == len(reference)  # including the end-of-turn token
    assert reply.response_metadata["engine"] == "transformers"


def test_stream_is_token_by_token_with_usage_on_last_chunk(
    chat: LocalChatModel, replies: dict[str, AIMessage]
) -> None:
    chunks = list(chat.stream(COUNT))
    texts = [c.content for c in chunks if c.content]
    assert len(texts) >= 7
    last = chunks[-1]
    assert last.chunk_position == "last"
    whole = sum(chunks[1:], chunks[0])
    assert isinstance(whole, AIMessageChunk)
    invoked = replies["count"]
    assert whole.content == invoked.content
    assert last.usage_metadata == whole.usage_metadata == invoked.usage_metadata
    assert whole.response_metadata["finish_reason"] == "stop"


def test_async_invoke_and_stream(chat: LocalChatModel, replies: dict[str, AIMessage]) -> None:
    async def run() -> tuple[AIMessage, list[AIMessageChunk]]:
        return await chat.ainvoke(CAPITAL), [c async for c in chat.astream(CAPITAL)]

    reply, chunks = asyncio.run(run())
    whole = sum(chunks[1:], chunks[0])
    assert reply.content == whole.content == replies["capital"].content
    assert reply.usage_metadata == whole.usage_metadata == replies["capital"].usage_metadata


def test_max_tokens_per_instance_and_per_call(chat: LocalChatModel) -> None:
    reply = chat.invoke(COUNT, max_tokens=3)
    assert reply.usage_metadata["output_tokens"] == 3
    assert reply.response_metadata["finish_reason"] == "length"
    short = LocalChatModel(max_tokens=2)
    assert short.invoke(COUNT).usage_metadata["output_tokens"] == 2
    assert short.backend is chat.backend


def test_stop_sequence_cuts_text_and_stops_generating(
    chat: LocalChatModel, replies: dict[str, AIMessage]
) -> None:
    full = replies["count"]
    assert "1, 2, 3, 4, 5, 6, 7" in full.content
    stopped = chat.invoke(COUNT, stop=["5"])
    assert stopped.content == full.content[: full.content.index("5")]
    assert stopped.usage_metadata["output_tokens"] < full.usage_metadata["output_tokens"] - 3
    assert stopped.response_metadata["finish_reason"] == "stop"
    streamed = "".join(str(c.content) for c in chat.stream(COUNT, stop=[", 5"]))
    assert streamed == full.content[: full.content.index(", 5")]


def test_tool_message_last_renders_the_tool_call(chat: LocalChatModel) -> None:
    messages = [
        HumanMessage("What is 12 times 3?"),
        AIMessage("", tool_calls=[{"name": "calculator", "args": {"expr": "12*3"}, "id": "c1"}]),
        ToolMessage("36", tool_call_id="c1"),
    ]
    prompt = chat.tokens.tokenizer.decode(chat.prompt_ids(messages))
    assert '{"name": "calculator", "arguments": {"expr": "12*3"}}' in prompt
    assert prompt.endswith("<|im_start|>assistant\n")
    reply = chat.invoke(messages, max_tokens=6)
    assert reply.content
    assert reply.usage_metadata["input_tokens"] == len(chat.prompt_ids(messages))


def test_ai_message_last_is_continued(chat: LocalChatModel) -> None:
    messages = [HumanMessage("Name a fruit."), AIMessage("My favourite fruit is")]
    prompt = chat.tokens.tokenizer.decode(chat.prompt_ids(messages))
    assert prompt.endswith("<|im_start|>assistant\nMy favourite fruit is")
    reply = chat.invoke(messages, max_tokens=4)
    assert reply.content.strip()
    assert not reply.content.startswith("My favourite")


def test_greedy_is_deterministic_and_batch_matches_single(
    chat: LocalChatModel, replies: dict[str, AIMessage]
) -> None:
    singles = [replies["capital"], replies["count"]]
    assert chat.invoke(CAPITAL).content == singles[0].content
    batch = chat.generate_batch([CAPITAL, COUNT])
    assert [m.content for m in batch] == [m.content for m in singles]
    assert [m.usage_metadata for m in batch] == [m.usage_metadata for m in singles]


def test_sampling_with_temperature_runs(chat: LocalChatModel) -> None:
    torch.manual_seed(0)
    reply = chat.invoke(CAPITAL, temperature=0.8, max_tokens=4)
    assert 1 <= reply.usage_metadata["output_tokens"] <= 4


def test_a_seed_makes_sampling_reproducible(chat: LocalChatModel) -> None:
    sample = {"temperature": 1.5, "max_tokens": 12}
    seeded = [chat.invoke(COUNT, seed=seed, **sample).content for seed in (7, 7, 8, 9)]
    assert seeded[0] == seeded[1] and len(set(seeded[1:])) > 1  # same seed, same text; others differ
    batch = chat.generate_batch([COUNT], seed=7, **sample)
    assert batch[0].content == seeded[0]


def test_choose_picks_the_likely_option(chat: LocalChatModel) -> None:
    assert chat.choose(CAPITAL, ["Paris", "banana"]) == "Paris"
    assert chat.choose(CAPITAL, ["banana", "Paris"]) == "Paris"
    scores = chat.score_options("What is 2 + 2? Answer with a number.", ["4", "9"])
    assert scores[0] > scores[1]
    with pytest.raises(ValueError):
        chat.choose(CAPITAL, [])


def test_quantized_model_still_answers(model_cache: Path) -> None:
    quantized = LocalChatModel(quantize=True, max_tokens=8)
    assert "Paris" in quantized.invoke(CAPITAL).content


def test_unsupported_call_option_is_refused(chat: LocalChatModel) -> None:
    with pytest.raises(TypeError, match="frequency_penalty"):
        chat.invoke(CAPITAL, frequency_penalty=0.5)


def test_top_p_keeps_sampling_within_the_nucleus(chat: LocalChatModel) -> None:
    narrow = {chat.invoke(COUNT, temperature=1.5, top_p=1e-6, max_tokens=8, seed=seed).content for seed in range(3)}
    assert narrow == {chat.invoke(COUNT, max_tokens=8).content}  # a nucleus of one token: greedy


def test_template_rejecting_a_role_falls_back_to_user_turns(chat: LocalChatModel) -> None:
    strict = copy.deepcopy(chat.tokens.tokenizer)
    strict.chat_template = (
        "{% for m in messages %}{% if m['role'] not in ['user', 'assistant'] %}"
        "{{ raise_exception('roles must be user/assistant') }}{% endif %}"
        "[{{ m['role'] }}] {{ m['content'] }}\n{% endfor %}"
        "{% if add_generation_prompt %}[assistant] {% endif %}"
    )
    messages = [
        SystemMessage("Be brief."),
        HumanMessage("Add 2 and 3."),
        AIMessage("", tool_calls=[{"name": "add", "args": {"a": 2, "b": 3}, "id": "t1"}]),
        ToolMessage("5", tool_call_id="t1"),
    ]
    assert render_prompt(strict, messages) == (
        "[user] Instructions: Be brief.\n\nAdd 2 and 3.\n"
        '[assistant] {"name": "add", "arguments": {"a": 2, "b": 3}}\n'
        "[user] Tool result (add): 5\n"
        "[assistant] "
    )
    assert [t["role"] for t in safe_turns(messages)] == ["user", "assistant", "user"]


def test_get_chat_model_shares_instances(model_cache: Path) -> None:
    first = get_chat_model(ChatModelConfig())
    assert get_chat_model(ChatModelConfig()) is first
    other = get_chat_model(ChatModelConfig(max_tokens=5))
    assert other is not first
    assert isinstance(first, LocalChatModel) and isinstance(other, LocalChatModel)
    assert other.backend is first.backend


def test_local_provider_with_base_url_is_a_config_error(model_cache: Path) -> None:
    with pytest.raises(ConfigError, match="provider: openai"):
        get_chat_model(ChatModelConfig(base_url="http://127.0.0.1:8000/v1"))


# -- the context window ----------------------------------------------------------------


def _prompt_of_length(chat: LocalChatModel, tokens: int) -> list[BaseMessage]:
    """A one-message conversation whose chat prompt is exactly `tokens` long."""
    words = tokens
    while True:
        messages = [HumanMessage("hello " * words)]
        size = len(chat.prompt_ids(messages))
        if size == tokens:
            return messages
        words += tokens - size


def test_context_window_is_read_from_the_model_config(chat: LocalChatModel) -> None:
    assert chat.context_window == chat.tokens.context_window == 8192


def test_prompt_over_the_context_is_refused_with_the_numbers(chat: LocalChatModel) -> None:
    messages = _prompt_of_length(chat, 8192 - 10)  # fits alone, not with 24 tokens to generate
    with pytest.raises(ContextLengthError) as info:
        chat.invoke(messages)
    error = info.value
    assert (error.prompt_tokens, error.max_tokens, error.limit, error.overflow) == (8182, 24, 8192, 14)
    assert "8,182 prompt tokens + 24 to generate = 8,206 > 8,192 tokens (over by 14)" in str(error)
    check_fits(chat.tokens.name, 8182, 10, chat.context_window)  # exactly full: allowed


def test_every_generation_path_checks_the_context(chat: LocalChatModel) -> None:
    long = [HumanMessage("word " * 9000)]
    started = time.perf_counter()
    with pytest.raises(ContextLengthError, match=r"over by"):
        chat.invoke(long)
    with pytest.raises(ContextLengthError, match=r"over by"):
        list(chat.stream(long))
    with pytest.raises(ContextLengthError, match=r"over by"):
        chat.bind_tools([{"name": "f", "description": "f", "parameters": {"type": "object"}}]).invoke(long)
    with pytest.raises(ContextLengthError, match=r"over by"):
        chat.generate_batch([CAPITAL, long])
    with pytest.raises(ContextLengthError, match=r"over by"):
        chat.choose(long, ["yes", "no"])
    assert time.perf_counter() - started < 30  # refused before any forward pass over 9k tokens


def test_history_policy_keeps_the_newest_turns_within_the_budget(chat: LocalChatModel) -> None:
    turns: list[BaseMessage] = []
    for i in range(30):
        turns += [HumanMessage(f"Question {i}: what is {i} plus {i}?"), AIMessage(f"{i} plus {i} is {2 * i}.")]
    turns.append(HumanMessage("And what is 7 plus 7?"))
    count = token_counter(chat)
    assert count(turns) == len(chat.prompt_ids(turns)) == chat.get_num_tokens_from_messages(turns)
    kept = trim_history(turns, HistoryPolicy(max_tokens=200), count)
    assert count(kept) <= 200 < count(turns)
    assert kept[-1] is turns[-1] and kept[0].type == "human" and kept == turns[-len(kept):]
    oldest = trim_history(turns, HistoryPolicy(max_tokens=200, strategy="first"), count)
    assert oldest[0] is turns[0] and oldest[-1] is turns[-1] and count(oldest) <= 200
    alone = trim_history(turns, HistoryPolicy(max_tokens=5), count)
    assert alone == [turns[-1]]  # the current message is always sent

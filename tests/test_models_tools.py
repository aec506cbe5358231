"""Tool calling on the real SmolLM2-135M: grammar-constrained calls, tool_choice, parallel
calls, tool results in the history, free generation with invalid calls, prompt rendering."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import llguidance
import pytest
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, ToolMessage
from langchain_core.tools import tool
from pydantic import BaseModel, Field

from agentkit.errors import ConfigError
from agentkit.models import LocalChatModel
from agentkit.models.grammar import Grammar, grammar_engine
from agentkit.models.tool_prompt import render_tool_prompt, supports_tools
from agentkit.models.tools import HERMES, JSON_LINES, ToolBinding

pytestmark = pytest.mark.model


@tool
def get_weather(city: str) -> str:
    """Get the current weather for a city."""
    return f"Sunny in {city}"


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


class Lookup(BaseModel):
    """Look a term up in the encyclopedia."""

    term: str
    max_results: int = Field(default=3, ge=1)


def convert_currency(amount: float, currency: str) -> float:
    """Convert an amount of euros to a currency.

    Args:
        amount: euros
        currency: ISO code
    """
    return amount


RATE_TOOL = {
    "type": "function",
    "function": {
        "name": "exchange_rate",
        "description": "Exchange rate between two currencies.",
        "parameters": {
            "type": "object",
            "properties": {
                "base": {"type": "string", "enum": ["EUR", "USD", "CHF"]},
                "quote": {"type": "string", "enum": ["EUR", "USD", "CHF"]},
            },
            "required": ["base", "quote"],
        },
    },
}

TOOLS: list[Any] = [get_weather, add]
ALL_KINDS: list[Any] = [get_weather, add, Lookup, convert_currency, RATE_TOOL]


@pytest.fixture(scope="module")
def chat(model_cache: Path) -> LocalChatModel:
    return LocalChatModel(max_tokens=64)


def assert_valid(reply: AIMessage, tools: list[Any]) -> None:
    """Every call names a bound tool and its args match that tool's JSON Schema."""
    schemas = ToolBinding.create(tools).schemas
    assert reply.invalid_tool_calls == []
    for call in reply.tool_calls:
        jsonschema.validate(call["args"], schemas[call["name"]])
        assert call["id"].startswith("call_") and call["type"] == "tool_call"


def weather_cities(reply: AIMessage) -> list[str]:
    assert {call["name"] for call in reply.tool_calls} == {"get_weather"}
    return [call["args"]["city"] for call in reply.tool_calls]


# --- the real model ----------------------------------------------------------------------


def test_required_calls_a_tool_with_usage(chat: LocalChatModel) -> None:
    bound = chat.bind_tools(TOOLS, tool_choice="required")
    reply = bound.invoke("What is 3 plus 4?")
    assert_valid(reply, TOOLS)
    assert reply.tool_calls and reply.content == ""  # the base model may pick the wrong tool, but calls one
    tuned = chat.with_adapter_if_fits("tool_calls").bind_tools(TOOLS, tool_choice="required")
    assert [(c["name"], c["args"]) for c in tuned.invoke("What is 3 plus 4?").tool_calls] == [("add", {"a": 3, "b": 4})]
    usage = reply.usage_metadata
    binding = ToolBinding(**bound.kwargs)  # type: ignore[attr-defined]
    tokenizer = chat.tokens.tokenizer
    text, _ = render_tool_prompt(tokenizer, [HumanMessage("What is 3 plus 4?")], binding)
    assert usage["input_tokens"] == len(tokenizer(text, add_special_tokens=False)["input_ids"])
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]
    assert reply.response_metadata["finish_reason"] == "stop"


def test_named_tool_is_called_whatever_the_question(chat: LocalChatModel) -> None:
    choice = {"type": "function", "function": {"name": "add"}}
    reply = chat.bind_tools(TOOLS, tool_choice=choice).invoke("What's the weather in Paris?")
    assert_valid(reply, TOOLS)
    assert [c["name"] for c in reply.tool_calls] == ["add"]


def test_auto_calls_when_a_tool_fits(chat: LocalChatModel) -> None:
    reply = chat.bind_tools(TOOLS, tool_choice="auto").invoke("What's the weather in Paris?")
    assert_valid(reply, TOOLS)
    assert weather_cities(reply) == ["Paris"]


def test_none_answers_in_text(chat: LocalChatModel) -> None:
    reply = chat.bind_tools(TOOLS, tool_choice="none").invoke(
        "What's the weather in Paris?", max_tokens=12
    )
    assert reply.tool_calls == [] and reply.invalid_tool_calls == []
    assert reply.content and not reply.content.lstrip().startswith("{")


def test_parallel_calls_in_one_message_or_exactly_one(chat: LocalChatModel) -> None:
    question = "What's the weather in Zurich and in Bern?"
    several = chat.bind_tools(TOOLS, tool_choice="required").invoke(question)
    assert_valid(several, TOOLS)
    cities = weather_cities(several)
    assert len(cities) == 2 and "Bern" in cities
    one = chat.bind_tools(TOOLS, tool_choice="required", parallel_tool_calls=False)
    single = one.invoke(question)
    assert_valid(single, TOOLS)
    assert len(single.tool_calls) == 1


def test_tool_result_in_history_gets_a_text_answer(chat: LocalChatModel) -> None:
    history = [
        HumanMessage("What's the weather in Bern?"),
        AIMessage("", tool_calls=[{"name": "get_weather", "args": {"city": "Bern"}, "id": "c1"}]),
        ToolMessage("Rain, 11 degrees", tool_call_id="c1"),
    ]
    reply = chat.bind_tools(TOOLS).invoke(history)
    assert reply.tool_calls == []
    assert "11" in reply.content


def test_every_kind_of_tool_binds_and_calls_validate(chat: LocalChatModel) -> None:
    bound = chat.bind_tools(ALL_KINDS, tool_choice="exchange_rate")
    assert [t["function"]["name"] for t in bound.kwargs["tools"]] == [  # type: ignore[attr-defined]
        "get_weather", "add", "Lookup", "convert_currency", "exchange_rate"
    ]
    chunks = list(bound.stream("How many dollars is one Swiss franc?"))
    assert len(chunks) == 1 and isinstance(chunks[0], AIMessageChunk)  # one chunk with tools
    assert chunks[0].usage_metadata["output_tokens"] > 0
    reply = AIMessage(content=chunks[0].content, tool_calls=chunks[0].tool_calls)
    assert_valid(reply, ALL_KINDS)
    assert [c["name"] for c in reply.tool_calls] == ["exchange_rate"]


def test_free_generation_reports_invalid_calls(chat: LocalChatModel) -> None:
    bound = chat.bind_tools(TOOLS, tool_choice="required", strict=False)
    reply = bound.invoke("Tell me a joke.", max_tokens=8)  # prose where a call is required
    assert reply.tool_calls == []
    [invalid] = reply.invalid_tool_calls
    assert invalid["error"] == "expected a tool call (tool_choice requires one), got text"
    assert invalid["args"]


def test_native_template_with_tools_is_used(
    chat: LocalChatModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    tokenizer = chat.tokens.tokenizer
    assert not supports_tools(tokenizer)  # SmolLM2's template ignores tools=
    monkeypatch.setattr(tokenizer, "chat_template", HERMES_TEMPLATE)
    assert supports_tools(tokenizer)
    reply = chat.bind_tools([get_weather], tool_choice="required").invoke(
        "What's the weather in Paris?"
    )
    assert_valid(reply, [get_weather])
    assert weather_cities(reply) == ["Paris"]


# --- prompts, grammars and parsing (tokenizer and grammar engine, no generation) -----------

HERMES_TEMPLATE = (
    "{% if tools %}<|im_start|>system\nTools: {{ tools | tojson }}\n"
    "Call them as <tool_call>\n{\"name\": ..., \"arguments\": ...}\n</tool_call><|im_end|>\n"
    "{% endif %}{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}"
    "{% for c in m.tool_calls or [] %}<tool_call>\n{{ c.function | tojson }}\n</tool_call>"
    "{% endfor %}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n"
    "{% endif %}"
)

HISTORY = [
    HumanMessage("What's the weather in Bern?"),
    AIMessage("", tool_calls=[{"name": "get_weather", "args": {"city": "Bern"}, "id": "c1"}]),
    ToolMessage("Rain, 11 degrees", tool_call_id="c1"),
]


def test_few_shot_prompt_lists_tools_and_renders_history(chat: LocalChatModel) -> None:
    binding = ToolBinding.create(TOOLS, "auto")
    text, call_format = render_tool_prompt(chat.tokens.tokenizer, HISTORY, binding)
    assert call_format == JSON_LINES
    assert "- get_weather: Get the current weather for a city. Arguments: {" in text
    assert "- add: Add two integers." in text
    assert text.count("<|im_start|>system") == 1
    assert text.endswith(
        '<|im_start|>user\nWhat\'s the weather in Bern?<|im_end|>\n'
        '<|im_start|>assistant\n{"name": "get_weather", "arguments": {"city": "Bern"}}<|im_end|>\n'
        "<|im_start|>user\nTool result (get_weather): Rain, 11 degrees<|im_end|>\n"
        "<|im_start|>assistant\n"
    )


def test_native_prompt_passes_tools_calls_and_results(
    chat: LocalChatModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    tokenizer = chat.tokens.tokenizer
    monkeypatch.setattr(tokenizer, "chat_template", HERMES_TEMPLATE)
    text, call_format = render_tool_prompt(tokenizer, HISTORY, ToolBinding.create(TOOLS))
    assert call_format == HERMES
    assert '"name": "get_weather"' in text.split("<|im_end|>")[0]  # the tools, as JSON
    assert '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Bern"}}' in text
    assert "<|im_start|>tool\nRain, 11 degrees<|im_end|>" in text


def accepts(chat: LocalChatModel, grammar: Grammar, text: str) -> bool:
    """Whether the grammar admits `text` (as the model's tokens, then end of turn)."""
    engine = grammar_engine(chat.tokens)
    matcher = llguidance.LLMatcher(engine.tokenizer, grammar.text)
    ids = chat.tokens.tokenizer(text, add_special_tokens=False)["input_ids"]
    return matcher.consume_tokens(ids) and matcher.is_accepting()


WEATHER_CALL = '{"name": "get_weather", "arguments": {"city": "Bern"}}'
ADD_CALL = '{"name": "add", "arguments": {"a": 1, "b": 2}}'


@pytest.mark.parametrize(
    ("choice", "parallel", "text", "admitted"),
    [
        ("auto", True, WEATHER_CALL, True),
        ("auto", True, "It rains.", True),
        ("auto", True, WEATHER_CALL + "\n" + ADD_CALL, True),
        ("auto", False, WEATHER_CALL + "\n" + ADD_CALL, False),
        ("auto", True, '{"name": "add", "arguments": {"a": "1", "b": 2}}', False),
        ("auto", True, '{"name": "nope", "arguments": {}}', False),
        ("auto", True, '{"name": "add", "arguments": {"a": 1, "b": 2, "c": 3}}', False),
        ("required", True, "It rains.", False),
        ("add", True, WEATHER_CALL, False),
        ("add", True, ADD_CALL, True),
        ("none", True, "It rains.", True),
        ("none", True, ADD_CALL, False),
    ],
)
def test_grammar_admits_what_tool_choice_allows(
    chat: LocalChatModel, choice: str, parallel: bool, text: str, admitted: bool
) -> None:
    binding = ToolBinding.create(TOOLS, choice, parallel_tool_calls=parallel)
    grammar = binding.grammar(grammar_engine(chat.tokens), JSON_LINES)
    assert accepts(chat, grammar, text) is admitted


def test_hermes_calls_are_tagged(chat: LocalChatModel) -> None:
    binding = ToolBinding.create(TOOLS, "required")
    grammar = binding.grammar(grammar_engine(chat.tokens), HERMES)
    tagged = f"<tool_call>\n{WEATHER_CALL}\n</tool_call>\n<tool_call>\n{ADD_CALL}\n</tool_call>"
    assert accepts(chat, grammar, tagged)
    assert not accepts(chat, grammar, WEATHER_CALL)
    parsed = binding.parse(tagged, HERMES)
    assert [c["name"] for c in parsed.tool_calls] == ["get_weather", "add"]


def test_parse_splits_text_valid_and_invalid_calls() -> None:
    binding = ToolBinding.create(TOOLS, "auto", strict=False)
    assert binding.parse("It rains.", JSON_LINES).content == "It rains."
    lines = [
        WEATHER_CALL,
        WEATHER_CALL,
        '{"name": "add", "arguments": {"a": "x", "b": 1}}',
        '{"name": "nope", "arguments": {}}',
        '{"na',
    ]
    garbage = binding.parse("\n".join(lines), JSON_LINES)
    assert [c["args"] for c in garbage.tool_calls] == [{"city": "Bern"}]  # repeated once
    errors = [c["error"] for c in garbage.invalid_tool_calls]
    assert errors[0] == "add: a: 'x' is not of type 'integer'"
    assert errors[1].startswith("unknown tool 'nope'")
    assert errors[2].startswith("not JSON")
    assert [c["name"] for c in garbage.invalid_tool_calls] == ["add", "nope", None]
    assert garbage.invalid_tool_calls[2]["args"] == '{"na'


def test_tool_choice_and_tools_are_checked_at_bind_time(chat: LocalChatModel) -> None:
    with pytest.raises(ConfigError, match="tool_choice 'ad' is not a bound tool.*mean 'add'"):
        chat.bind_tools(TOOLS, tool_choice="ad")
    odd = {"type": "function", "function": {"name": "odd", "parameters": {"not": {}}}}
    with pytest.raises(ConfigError, match="tools odd .*cannot compile.*not"):
        chat.bind_tools([odd])
    chat.bind_tools([odd], strict=False)  # free generation needs no grammar
    with pytest.raises(ConfigError, match="unique"):
        chat.bind_tools([add, add])
    with pytest.raises(ConfigError, match="no tools given"):
        chat.bind_tools([])
    assert ToolBinding.create(TOOLS, "any").tool_choice == "required"
    assert ToolBinding.create(TOOLS, True).tool_choice == "required"
    assert ToolBinding.create(TOOLS, None).tool_choice == "auto"

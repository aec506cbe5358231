"""Prompts with bound tools: the model's own chat template when it renders `tools=`,
otherwise agentkit's few-shot format: a system text listing the tools, then short example
exchanges (a greeting answered in text; a question -> call JSON -> tool result -> answer;
with parallel calls, a question -> two calls). The examples use tools of their own; the
grammar keeps real calls to the bound tools."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from jinja2 import TemplateError
from langchain_core.messages import AIMessage, BaseMessage, ToolMessage
from transformers.tokenization_utils_base import PreTrainedTokenizerBase

from agentkit.models.prompting import (
    apply_template,
    continues_last,
    message_text,
    render_prompt,
    safe_turns,
    to_turns,
    tool_name,
)
from agentkit.models.tools import HERMES, JSON_LINES, CallFormat, ToolBinding

_PROBE_TOOL = {
    "type": "function",
    "function": {
        "name": "agentkit_probe_tool",
        "description": "probe",
        "parameters": {"type": "object", "properties": {}},
    },
}

_INSTRUCTIONS = (
    "You can call tools. To call tools, reply with JSON only, one call per line: "
    '{"name": "<tool name>", "arguments": {<arguments>}}. '
    "Each tool result comes back to you in a message; then answer in plain text."
)

_MODE_HINTS = {
    "auto": "Call a tool when it helps to answer; otherwise answer in plain text.",
    "required": "Call a tool now.",
    "none": "Answer in plain text now, without calling tools.",
}


def _call(name: str, **arguments: Any) -> str:
    return json.dumps({"name": name, "arguments": arguments})


_EXAMPLES = [
    {"role": "user", "content": "Hi! How are you?"},
    {"role": "assistant", "content": "I'm fine, thanks! How can I help you?"},
    {"role": "user", "content": "What time is it in Tokyo?"},
    {"role": "assistant", "content": _call("get_time", city="Tokyo")},
    {"role": "user", "content": "Tool result (get_time): 14:05"},
    {"role": "assistant", "content": "It is 14:05 in Tokyo."},
]
_PARALLEL_EXAMPLE = [
    {"role": "user", "content": "What is the population of Spain and of Italy?"},
    {
        "role": "assistant",
        "content": _call("lookup", query="population of Spain")
        + "\n"
        + _call("lookup", query="population of Italy"),
    },
]


def supports_tools(tokenizer: PreTrainedTokenizerBase) -> bool:
    """Whether the tokenizer's chat template renders the tools passed as `tools=`."""
    try:
        probe = apply_template(
            tokenizer, [{"role": "user", "content": "hi"}], False, tools=[_PROBE_TOOL]
        )
    except (TemplateError, ValueError, TypeError):
        return False
    return "agentkit_probe_tool" in probe


def render_tool_prompt(
    tokenizer: PreTrainedTokenizerBase, messages: Sequence[BaseMessage], binding: ToolBinding
) -> tuple[str, CallFormat]:
    """The prompt text for `messages` with the bound tools, and how calls are written."""
    if binding.mode == "none":  # no calls wanted: the plain conversation answers best
        return render_prompt(tokenizer, messages), JSON_LINES
    if supports_tools(tokenizer):
        try:
            turns = [_native_turn(m, messages) for m in messages]
            text = apply_template(
                tokenizer, turns, continues_last(messages), tools=binding.tools
            )
            template = str(tokenizer.chat_template or "")
            return text, HERMES if "<tool_call>" in template else JSON_LINES
        except (TemplateError, ValueError, TypeError):
            pass
    return _few_shot(tokenizer, messages, binding), JSON_LINES


def few_shot_turns(messages: Sequence[BaseMessage], binding: ToolBinding) -> list[dict[str, str]]:
    """The turns of agentkit's few-shot tool prompt: one system turn (the messages' system
    text, then the tools), the example exchanges, then the conversation (training data
    for the tool-calling adapter is built from these turns)."""
    leading = 0
    while leading < len(messages) and messages[leading].type == "system":
        leading += 1
    system = [message_text(m) for m in messages[:leading]] + [_tools_text(binding)]
    examples = _EXAMPLES + (_PARALLEL_EXAMPLE if binding.parallel_tool_calls else [])
    conversation = safe_turns(messages[leading:]) if leading < len(messages) else []
    return [{"role": "system", "content": "\n\n".join(system)}, *examples, *conversation]


def _few_shot(
    tokenizer: PreTrainedTokenizerBase, messages: Sequence[BaseMessage], binding: ToolBinding
) -> str:
    turns = few_shot_turns(messages, binding)
    continue_last = continues_last(messages)
    try:
        return apply_template(tokenizer, turns, continue_last)
    except (TemplateError, ValueError, TypeError):
        # A template without a system role: the system text opens the first user turn.
        first = {"role": "user", "content": f"Instructions: {turns[0]['content']}"}
        first["content"] += "\n\n" + _EXAMPLES[0]["content"]
        return apply_template(tokenizer, [first, *turns[2:]], continue_last)


def _tools_text(binding: ToolBinding) -> str:
    lines = [_INSTRUCTIONS, "Tools:"]
    for tool in binding.tools:
        function = tool["function"]
        arguments = json.dumps(function.get("parameters") or {"type": "object"})
        description = function.get("description") or "(no description)"
        lines.append(f"- {function['name']}: {description} Arguments: {arguments}")
    forced = binding.forced_tool
    lines.append(f"Call the tool {forced} now." if forced else _MODE_HINTS[binding.mode])
    return "\n".join(lines)


def _native_turn(message: BaseMessage, messages: Sequence[BaseMessage]) -> dict[str, Any]:
    """A turn in the shape tool-aware chat templates expect (OpenAI-like)."""
    if isinstance(message, ToolMessage):
        return {
            "role": "tool",
            "content": message_text(message),
            "tool_call_id": message.tool_call_id,
            "name": tool_name(message, messages),
        }
    if isinstance(message, AIMessage) and message.tool_calls:
        return {
            "role": "assistant",
            "content": str(message.text),
            "tool_calls": [
                {
                    "id": call["id"],
                    "type": "function",
                    "function": {"name": call["name"], "arguments": call["args"]},
                }
                for call in message.tool_calls
            ],
        }
    return dict(to_turns([message])[0])

"""Render any LangChain message sequence to a prompt with the tokenizer's chat template."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from jinja2 import TemplateError
from langchain_core.messages import AIMessage, BaseMessage, ChatMessage, ToolMessage
from transformers.tokenization_utils_base import PreTrainedTokenizerBase

from agentkit.errors import ConfigError

Turn = dict[str, str]

_ROLES = {
    "system": "system",
    "human": "user",
    "ai": "assistant",
    "tool": "tool",
    "function": "tool",
}


def render_prompt(tokenizer: PreTrainedTokenizerBase, messages: Sequence[BaseMessage]) -> str:
    """The prompt text: a last AI message is continued, otherwise a new assistant turn.

    Roles the template rejects (e.g. `tool`) are retried with a safe user/assistant
    mapping (see `safe_turns`).
    """
    if not messages:
        raise ValueError("cannot build a prompt from an empty message list")
    continue_last = continues_last(messages)
    try:
        return apply_template(tokenizer, to_turns(messages), continue_last)
    except (TemplateError, ValueError, TypeError):
        turns = safe_turns(messages)
    try:
        return apply_template(tokenizer, turns, continue_last)
    except (TemplateError, ValueError, TypeError) as exc:
        raise ConfigError(
            f"the model's chat template cannot render this conversation ({exc}); "
            "use an instruct/chat model whose tokenizer has a chat template"
        ) from exc


def to_turns(messages: Sequence[BaseMessage]) -> list[Turn]:
    """Chat-template turns with each message's own role."""
    return [{"role": _role(m), "content": message_text(m)} for m in messages]


def safe_turns(messages: Sequence[BaseMessage]) -> list[Turn]:
    """Only user/assistant turns, alternating: system and tool text become user turns."""
    turns: list[Turn] = []
    for message in messages:
        role, text = _role(message), message_text(message)
        if role == "tool":
            role, text = "user", f"Tool result ({tool_name(message, messages)}): {text}"
        elif role not in ("user", "assistant"):
            role, text = "user", f"Instructions: {text}"
        if turns and turns[-1]["role"] == role:
            turns[-1]["content"] += "\n\n" + text
        else:
            turns.append({"role": role, "content": text})
    return turns


def message_text(message: BaseMessage) -> str:
    """The message's text, with an AI message's tool calls appended as JSON lines."""
    text = str(message.text)
    if isinstance(message, AIMessage) and message.tool_calls:
        calls = [
            json.dumps({"name": call["name"], "arguments": call["args"]})
            for call in message.tool_calls
        ]
        text = "\n".join([text, *calls] if text else calls)
    return text


def _role(message: BaseMessage) -> str:
    if isinstance(message, ChatMessage):
        return message.role
    return _ROLES.get(message.type, message.type)


def tool_name(message: BaseMessage, messages: Sequence[BaseMessage]) -> str:
    """The name of the tool whose result `message` is (from the call it answers)."""
    if message.name:
        return message.name
    if isinstance(message, ToolMessage):
        for earlier in messages:
            if isinstance(earlier, AIMessage):
                for call in earlier.tool_calls:
                    if call["id"] == message.tool_call_id:
                        return call["name"]
    return "tool"


def continues_last(messages: Sequence[BaseMessage]) -> bool:
    """Whether the prompt continues the last message (an AI message with text)."""
    return messages[-1].type == "ai" and bool(message_text(messages[-1]))


def apply_template(
    tokenizer: PreTrainedTokenizerBase,
    turns: Sequence[dict[str, Any]],
    continue_last: bool,
    **extra: Any,
) -> str:
    """The chat template applied to `turns` (extra keyword arguments go to the template)."""
    return tokenizer.apply_chat_template(
        list(turns),
        tokenize=False,
        add_generation_prompt=not continue_last,
        continue_final_message=continue_last,
        **extra,
    )

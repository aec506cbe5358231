"""Tool calling for local models: bound tools, the grammar of a reply, parsing it into calls.

A reply is either plain text or tool calls, one JSON object per line,
`{"name": <tool>, "arguments": {...}}` (each wrapped in `<tool_call>` tags when the
model's own chat template uses them). With `strict`, decoding follows a grammar that only
admits what `tool_choice` allows, so every call names a bound tool and its arguments match
that tool's JSON Schema; otherwise the free text is parsed and calls that do not parse or
validate become invalid tool calls.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import jsonschema
from langchain_core.messages import InvalidToolCall, ToolCall
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import BaseModel, ConfigDict

from agentkit.errors import ConfigError, suggest
from agentkit.models.grammar import Grammar, GrammarEngine, json_schema_lark, lark_literal

Mode = Literal["auto", "required", "none"]


@dataclass(frozen=True)
class CallFormat:
    """How one call is written: the JSON object between `prefix` and `suffix`."""

    prefix: str = ""
    suffix: str = ""

    @property
    def opener(self) -> str:
        """The text every call starts with."""
        return self.prefix.strip() or "{"


JSON_LINES = CallFormat()
HERMES = CallFormat("<tool_call>\n", "\n</tool_call>")


class ParsedReply(BaseModel):
    """A reply split into text and (valid or invalid) tool calls."""

    content: str = ""
    tool_calls: list[ToolCall] = []
    invalid_tool_calls: list[InvalidToolCall] = []


class ToolBinding(BaseModel):
    """Tools in OpenAI format and how the model may use them (what `bind_tools` binds)."""

    model_config = ConfigDict(frozen=True)

    tools: list[dict[str, Any]]
    tool_choice: str = "auto"
    parallel_tool_calls: bool = True
    strict: bool = True

    @classmethod
    def create(
        cls,
        tools: Sequence[Any],
        tool_choice: Any = None,
        parallel_tool_calls: bool = True,
        strict: bool = True,
    ) -> ToolBinding:
        """Normalize LangChain tools, pydantic models, functions or OpenAI tool dicts and
        `tool_choice` ("auto"/None, "required"/"any"/True, "none", a tool name or
        `{"type": "function", "function": {"name": ...}}`)."""
        if not tools:
            raise ConfigError("bind_tools: no tools given; bind at least one tool")
        formatted = [_openai_tool(tool) for tool in tools]
        names = [tool["function"]["name"] for tool in formatted]
        if len(set(names)) != len(names):
            raise ConfigError(f"bind_tools: tool names must be unique, got {names}")
        return cls(
            tools=formatted,
            tool_choice=_choice(tool_choice, names),
            parallel_tool_calls=parallel_tool_calls,
            strict=strict,
        )

    @property
    def schemas(self) -> dict[str, dict[str, Any]]:
        """Each tool's name and the JSON Schema of its arguments."""
        return {
            tool["function"]["name"]: tool["function"].get("parameters") or {"type": "object"}
            for tool in self.tools
        }

    @property
    def mode(self) -> Mode:
        """auto, required (any tool, or the one named) or none."""
        if self.tool_choice in ("auto", "none"):
            return self.tool_choice  # type: ignore[return-value]
        return "required"

    @property
    def forced_tool(self) -> str | None:
        """The tool `tool_choice` names, if it names one."""
        return None if self.tool_choice in ("auto", "required", "none") else self.tool_choice

    def grammar(self, engine: GrammarEngine, call_format: CallFormat) -> Grammar:
        """The grammar of a reply allowed by `tool_choice` (used when `strict`)."""
        names = [self.forced_tool] if self.forced_tool else list(self.schemas)
        rules = [f"TEXT: /[^{re.escape(call_format.opener[0])}\\s](?s:.*)/"]
        alternatives = []
        for index, name in enumerate(names):
            head = json.dumps({"name": name})[:-1] + ', "arguments": '
            opening = lark_literal(call_format.prefix + head)
            closing = lark_literal("}" + call_format.suffix)
            alternatives.append(f"{opening} args_{index} {closing}")
            rules.append(f"args_{index}: {json_schema_lark(self.schemas[name])}")
        rules.append("call: " + " | ".join(alternatives))
        several = self.parallel_tool_calls and self.forced_tool is None
        rules.append('calls: call ("\\n" call)*' if several else "calls: call")
        start = {"auto": "calls | TEXT", "required": "calls", "none": "TEXT"}[self.mode]
        what = f"tools {', '.join(names)} (tool_choice {self.tool_choice!r})"
        return engine.lark("\n".join([f"start: {start}", *rules]), what)

    def parse(self, text: str, call_format: CallFormat) -> ParsedReply:
        """Split a reply into text and tool calls, checking each call against its tool
        (identical repeated calls are kept once)."""
        body = text.strip()
        if self.mode == "none" or not body.startswith(call_format.opener):
            if self.mode == "required":
                return ParsedReply(invalid_tool_calls=[_invalid(None, text, _NOT_A_CALL)])
            return ParsedReply(content=text)
        reply, seen = ParsedReply(), set()
        for raw in _split_calls(body, call_format):
            call, error = self._check(raw)
            if error is not None:
                reply.invalid_tool_calls.append(_invalid(call, raw, error))
            elif (key := json.dumps([call["name"], call["args"]], sort_keys=True)) not in seen:
                seen.add(key)  # a repeated identical call adds nothing: kept once
                reply.tool_calls.append(call)
        return reply

    def _check(self, raw: str) -> tuple[Any, str | None]:
        """(the call, None) when `raw` is a valid call, else (what parsed, the error)."""
        try:
            call = json.loads(raw)
        except json.JSONDecodeError as exc:
            return None, f"not JSON: {exc}"
        if not isinstance(call, dict) or set(call) != {"name", "arguments"}:
            return call, 'a call must be {"name": ..., "arguments": {...}}'
        name, args = call["name"], call["arguments"]
        if name not in self.schemas:
            return call, f"unknown tool {name!r}: {suggest(str(name), self.schemas)}"
        errors = sorted(
            jsonschema.validators.validator_for(self.schemas[name])(
                self.schemas[name]
            ).iter_errors(args),
            key=lambda e: list(e.path),
        )
        if errors:
            where = "/".join(str(p) for p in errors[0].path) or "arguments"
            return call, f"{name}: {where}: {errors[0].message}"
        return ToolCall(name=name, args=args, id=_call_id(), type="tool_call"), None


_NOT_A_CALL = "expected a tool call (tool_choice requires one), got text"


def _openai_tool(tool: Any) -> dict[str, Any]:
    try:
        return convert_to_openai_tool(tool)
    except (ValueError, TypeError) as exc:
        raise ConfigError(
            f"bind_tools: cannot use {tool!r} as a tool ({exc}); give a LangChain tool, "
            "a pydantic model, a typed function or an OpenAI tool dict"
        ) from exc


def _choice(tool_choice: Any, names: list[str]) -> str:
    if isinstance(tool_choice, dict):
        tool_choice = (tool_choice.get("function") or {}).get("name") or tool_choice.get("name")
    if tool_choice is None or tool_choice == "auto":
        return "auto"
    if tool_choice is True or tool_choice in ("required", "any"):
        return "required"
    if tool_choice == "none" or tool_choice in names:
        return str(tool_choice)
    raise ConfigError(
        f"bind_tools: tool_choice {tool_choice!r} is not a bound tool "
        f"({suggest(str(tool_choice), names)}); use a tool name, 'auto', 'required' or 'none'"
    )


def _split_calls(body: str, call_format: CallFormat) -> list[str]:
    """The raw text of each call; trailing text that is no call becomes its own entry."""
    if call_format.prefix:
        pattern = re.escape(call_format.prefix.strip()) + r"(.*?)(?:" + re.escape(
            call_format.suffix.strip()
        ) + r"|$)"
        return [match.strip() for match in re.findall(pattern, body, flags=re.DOTALL)]
    decoder, calls, position = json.JSONDecoder(), [], 0
    while position < len(body):
        try:
            _, end = decoder.raw_decode(body, position)
        except json.JSONDecodeError:
            calls.append(body[position:])
            break
        calls.append(body[position:end])
        position = len(body) - len(body[end:].lstrip())
    return calls


def _invalid(call: Any, raw: str, error: str) -> InvalidToolCall:
    name = call.get("name") if isinstance(call, dict) else None
    return InvalidToolCall(
        name=name if isinstance(name, str) else None,
        args=raw,
        id=_call_id(),
        error=error,
        type="invalid_tool_call",
    )


def _call_id() -> str:
    return f"call_{uuid.uuid4().hex[:24]}"

"""Structured output: grammar-constrained JSON, validated, with bounded retries.

The reply is decoded under the grammar of the schema's JSON, so it always parses and fits
the schema's shape. What a grammar cannot check (a pydantic validator, a JSON Schema
`format`) is validated afterwards; a failure is fed back to the model as a message and
the call retried, at most `max_retries` times.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import jsonschema
from langchain_core.exceptions import OutputParserException
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_core.runnables import Runnable, RunnableConfig, RunnableLambda
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import BaseModel, PydanticUserError, TypeAdapter, ValidationError
from typing_extensions import is_typeddict

from agentkit.errors import ConfigError
from agentkit.models.grammar import GrammarEngine


class SchemaViolation(ValueError):
    """The reply's JSON failed the schema's validation (the model may retry)."""


@dataclass(frozen=True)
class OutputSchema:
    """A schema as the JSON Schema to decode with and the check of the decoded value."""

    name: str
    json_schema: dict[str, Any]
    check: Callable[[Any], Any]

    @classmethod
    def of(cls, schema: Any) -> OutputSchema:
        """From a pydantic model class, a TypedDict, a LangChain tool or a JSON Schema dict
        (an OpenAI function/tool dict counts as its parameters)."""
        try:
            if isinstance(schema, type) and issubclass(schema, BaseModel):
                return cls(schema.__name__, schema.model_json_schema(), schema.model_validate)
            if is_typeddict(schema):
                adapter = TypeAdapter(schema)
                return cls(schema.__name__, adapter.json_schema(), adapter.validate_python)
            if isinstance(schema, BaseTool):
                call_schema = schema.tool_call_schema
                if isinstance(call_schema, type) and issubclass(call_schema, BaseModel):
                    check = _checked_dict(call_schema)
                    return cls(schema.name, call_schema.model_json_schema(), check)
                return _json_schema(schema.name, call_schema)
        except (PydanticUserError, TypeError) as exc:
            raise ConfigError(f"structured output: no JSON Schema for {schema!r} ({exc})") from exc
        if isinstance(schema, dict):
            if "function" in schema or {"name", "parameters"} <= set(schema):
                function = convert_to_openai_tool(schema)["function"]
                return _json_schema(function["name"], function.get("parameters") or {})
            return _json_schema(str(schema.get("title", "output")), schema)
        raise ConfigError(
            f"structured output: unsupported schema {schema!r}; give a pydantic model class, "
            "a JSON Schema dict, a TypedDict or a LangChain tool"
        )

    def parse(self, reply: AIMessage) -> Any:
        """The checked value of the reply's JSON; SchemaViolation if a check fails."""
        value = json.loads(str(reply.content))
        try:
            return self.check(value)
        except ValidationError as exc:
            problems = [
                f"{'.'.join(str(p) for p in error['loc']) or 'value'}: {error['msg']}"
                for error in exc.errors()
            ]
            raise SchemaViolation("; ".join(problems)) from exc
        except jsonschema.ValidationError as exc:
            where = "/".join(str(p) for p in exc.path) or "value"
            raise SchemaViolation(f"{where}: {exc.message}") from exc


def _json_schema(name: str, schema: dict[str, Any]) -> OutputSchema:
    validator = jsonschema.validators.validator_for(schema)(
        schema, format_checker=jsonschema.FormatChecker()
    )

    def check(value: Any) -> Any:
        validator.validate(value)
        return value

    return OutputSchema(name, schema, check)


def _checked_dict(model: type[BaseModel]) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        model.model_validate(value)
        return value

    return check


def structured_output(
    model: BaseChatModel,
    engine: GrammarEngine,
    schema: Any,
    *,
    include_raw: bool = False,
    max_retries: int = 2,
) -> Runnable[LanguageModelInput, Any]:
    """A runnable: messages in, the validated value out (or {"raw", "parsed",
    "parsing_error"} with `include_raw`, errors then returned instead of raised).

    `model` must accept a `response_format` JSON Schema call option (LocalChatModel).
    Raises ConfigError at once when the engine cannot compile the schema.
    """
    if max_retries < 0:
        raise ConfigError(f"structured output: max_retries must be >= 0, got {max_retries}")
    target = OutputSchema.of(schema)
    engine.json_schema(target.json_schema, f"structured output schema {target.name!r}")
    bound = model.bind(response_format=target.json_schema)

    def run(value: LanguageModelInput, config: RunnableConfig) -> Any:
        messages = with_instruction(model._convert_input(value).to_messages(), target)
        raw, error = None, None
        for _ in range(max_retries + 1):
            raw = bound.invoke(messages, config)
            try:
                parsed = target.parse(raw)
            except SchemaViolation as exc:
                error = exc
                messages = [*messages, raw, HumanMessage(feedback(exc))]
                continue
            except json.JSONDecodeError as exc:  # cut short: retrying would end the same
                error = _cut_short(raw, exc)
                break
            return {"raw": raw, "parsed": parsed, "parsing_error": None} if include_raw else parsed
        failure = OutputParserException(
            f"structured output (schema {target.name!r}): {error}",
            llm_output=str(raw.content) if raw is not None else None,
        )
        if include_raw:
            return {"raw": raw, "parsed": None, "parsing_error": failure}
        raise failure

    return RunnableLambda(run, name=f"structured_output[{target.name}]")


def with_instruction(messages: Sequence[BaseMessage], target: OutputSchema) -> list[BaseMessage]:
    """`messages` with the schema stated in the (first) system message."""
    text = "Reply with JSON only, matching this JSON Schema: " + json.dumps(target.json_schema)
    if messages and messages[0].type == "system":
        return [SystemMessage(f"{messages[0].text}\n\n{text}"), *messages[1:]]
    return [SystemMessage(text), *messages]


def feedback(error: SchemaViolation) -> str:
    """The user message that asks the model to fix its JSON."""
    return f"That JSON is not valid: {error}. Reply with the corrected JSON only."


def _cut_short(raw: AIMessage, exc: json.JSONDecodeError) -> str:
    if raw.response_metadata.get("finish_reason") == "length":
        return (
            "the reply reached max_tokens before its JSON was complete; raise max_tokens "
            "(LocalChatModel(max_tokens=...) or .bind(max_tokens=...))"
        )
    return f"the reply is not complete JSON ({exc}); a stop sequence may have cut it"

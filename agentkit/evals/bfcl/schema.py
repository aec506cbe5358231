"""BFCL function docs -> OpenAI tool dicts (JSON Schema parameters), and call validity.

Python categories: BFCL types map to JSON Schema types (`dict` -> object, `float` ->
number, `tuple` -> array, `any` -> string, as BFCL does for function-calling models).
Java/JavaScript categories: every argument is a string holding Java/JS source (BFCL's
convention); the declared type goes into the description. Dots and other characters
that tool names may not contain become `_`; `ToolSet` maps the names back.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from jsonschema import Draft202012Validator

from agentkit.evals.bfcl.records import BfclItem, Call, FunctionDoc, Language, Param

_JSON_TYPES = {
    "string": "string", "String": "string", "char": "string", "any": "string", "Any": "string",
    "integer": "integer", "byte": "integer", "short": "integer", "long": "integer",
    "Bigint": "integer",
    "float": "number", "double": "number", "number": "number",
    "boolean": "boolean", "bool": "boolean", "Boolean": "boolean",
    "array": "array", "list": "array", "tuple": "array", "Array": "array",
    "ArrayList": "array", "Queue": "array", "Stack": "array",
    "dict": "object", "object": "object", "HashMap": "object", "Hashtable": "object",
}
_KEPT_KEYWORDS = ("minimum", "maximum", "minItems", "maxItems")
_SYNTAX_NOTE = {
    "python": " Note that the provided function is in Python 3 syntax.",
    "java": " Note that the provided function is in Java 8 SDK syntax.",
    "javascript": " Note that the provided function is in JavaScript syntax.",
}
_LANGUAGE_NAME = {"java": "Java", "javascript": "JavaScript"}
_TOOL_NAME_MAX = 64


@dataclass(frozen=True)
class ToolSet:
    """An item's functions as OpenAI tool dicts, with tool name -> BFCL name."""

    tools: list[dict[str, Any]]
    names: dict[str, str]
    _validators: dict[str, Draft202012Validator] = field(repr=False)

    def to_call(self, tool_name: str, args: dict[str, Any]) -> Call:
        """A model's tool call with the function's BFCL name (unknown names kept)."""
        return Call(name=self.names.get(tool_name, tool_name), args=args)

    def schema_error(self, tool_name: str, args: dict[str, Any]) -> str | None:
        """Why `args` do not fit the tool's parameter schema, or None if they do."""
        validator = self._validators.get(tool_name)
        if validator is None:
            return f"unknown function {tool_name!r}"
        error = next(iter(validator.iter_errors(args)), None)
        if error is None:
            return None
        where = ".".join(str(part) for part in error.absolute_path)
        return f"{tool_name}: {where + ': ' if where else ''}{error.message}"


def tool_set(item: BfclItem) -> ToolSet:
    """The item's functions as tools for `bind_tools`."""
    tools: list[dict[str, Any]] = []
    names: dict[str, str] = {}
    for doc in item.functions:
        name = _unique(_safe_name(doc.name), names)
        names[name] = doc.name
        tools.append(to_openai_tool(doc, item.language, name=name))
    validators = {
        tool["function"]["name"]: Draft202012Validator(tool["function"]["parameters"])
        for tool in tools
    }
    return ToolSet(tools=tools, names=names, _validators=validators)


def to_openai_tool(doc: FunctionDoc, language: Language, name: str | None = None) -> dict[str, Any]:
    """One function doc as `{"type": "function", "function": {name, description,
    parameters}}`, the parameters a JSON Schema object."""
    if language == "python":
        properties = {key: param_schema(param) for key, param in doc.properties.items()}
    else:
        properties = {
            key: _source_string_schema(param, _LANGUAGE_NAME[language])
            for key, param in doc.properties.items()
        }
    parameters: dict[str, Any] = {"type": "object", "properties": properties}
    required = [key for key in doc.parameters.required if key in properties]
    if required:
        parameters["required"] = required
    parameters["additionalProperties"] = False
    return {
        "type": "function",
        "function": {
            "name": name or _safe_name(doc.name),
            "description": (doc.description + _SYNTAX_NOTE[language]).strip(),
            "parameters": parameters,
        },
    }


def param_schema(param: Param) -> dict[str, Any]:
    """JSON Schema for one BFCL parameter (recursively for items and properties)."""
    json_type = _JSON_TYPES.get(param.type, "string")
    schema: dict[str, Any] = {"type": json_type}
    description = param.description
    if param.type == "float":
        description += " This is a float type value."
    if param.enum is not None:
        schema["enum"] = param.enum
    if json_type == "array" and param.items is not None:
        schema["items"] = param_schema(param.items)
    if json_type == "object" and param.properties is not None:
        schema["properties"] = {key: param_schema(p) for key, p in param.properties.items()}
        required = [key for key in param.required if key in param.properties]
        if required:
            schema["required"] = required
        schema["additionalProperties"] = False
    extra = param.model_extra or {}
    schema.update({key: extra[key] for key in _KEPT_KEYWORDS if key in extra})
    if param.has_default:
        if Draft202012Validator(schema).is_valid(param.default):
            schema["default"] = param.default
        else:  # BFCL docs sometimes state defaults like "None" for integers
            description += f" Default: {json.dumps(param.default)}."
    if description.strip():
        schema["description"] = description.strip()
    return schema


def _source_string_schema(param: Param, language_name: str) -> dict[str, Any]:
    """A Java/JS argument: a string of source code; the real type is described."""
    if param.type in ("any", "Any", ""):
        note = f" This parameter can be of any type of {language_name} object"
    else:
        note = f" This is {language_name} {param.type} type parameter"
    note += " in string representation."
    if param.items is not None:
        note += (
            f" The list elements are of type {param.items.type};"
            " they are not in string representation."
        )
    if param.properties:
        entries = {key: p.model_dump(exclude_defaults=True) for key, p in param.properties.items()}
        note += f" The object has these entries: {json.dumps(entries)}."
    if param.has_default:
        note += f" Default: {json.dumps(param.default)}."
    schema: dict[str, Any] = {"type": "string"}
    if param.enum and all(isinstance(value, str) for value in param.enum):
        schema["enum"] = param.enum
    schema["description"] = (param.description + note).strip()
    return schema


def _safe_name(name: str) -> str:
    return re.sub(r"[^a-zA-Z0-9_-]", "_", name)[:_TOOL_NAME_MAX] or "function"


def _unique(name: str, taken: dict[str, str]) -> str:
    candidate, number = name, 2
    while candidate in taken:
        suffix = f"_{number}"
        candidate, number = name[: _TOOL_NAME_MAX - len(suffix)] + suffix, number + 1
    return candidate

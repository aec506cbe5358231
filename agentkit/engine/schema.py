"""JSON Schema of graph files, with one branch per registered node and resource kind."""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, Field, TypeAdapter, create_model

from agentkit.engine.registry import Registry, registry as default_registry
from agentkit.spec.models import GraphSpec

_PAIR = {"type": "array", "items": {"type": "string"}, "minItems": 2, "maxItems": 2,
         "description": "[from, to]"}


def _tagged(name: str, params: type[BaseModel]) -> type[BaseModel]:
    return create_model(
        f"{name}_{params.__name__}",
        __base__=params,
        kind=(Literal[name], Field(description=f"kind {name}")),  # type: ignore[valid-type]
    )


def _union_schema(kinds: dict[str, Any]) -> dict[str, Any]:
    variants = [_tagged(name, kind.params_model) for name, kind in sorted(kinds.items())]
    union = Annotated[Union[tuple(variants)], Field(discriminator="kind")]  # type: ignore[arg-type]
    return TypeAdapter(dict[str, union]).json_schema()


def graph_json_schema(registry: Registry = default_registry) -> dict[str, Any]:
    """The schema editors use to check and complete graph files."""
    schema = GraphSpec.model_json_schema(by_alias=True)
    defs = schema.setdefault("$defs", {})
    for replaced in ("NodeSpec", "ResourceSpec"):
        defs.pop(replaced, None)
    for field, kinds in (("nodes", registry.node_kinds()), ("resources", registry.resource_kinds())):
        part = _union_schema(kinds)
        defs.update(part.pop("$defs", {}))
        schema["properties"][field] = {**part, "description": f"name -> {field[:-1]} ({{kind: ..., params}})"}
    channel = {"$ref": "#/$defs/ChannelSpec"}
    schema["properties"]["state"]["additionalProperties"] = {"anyOf": [{"type": "string"}, channel]}
    edge = schema["properties"]["edges"]["items"]
    schema["properties"]["edges"]["items"] = {"anyOf": [_PAIR, *edge.get("oneOf", edge.get("anyOf", [edge]))]}
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "agentkit graph file"
    return schema


_MESSAGE = {"type": "object", "description": "a message: {role, content} (OpenAI) or {type, content} (LangChain)",
            "properties": {"role": {"type": "string"}, "type": {"type": "string"}, "content": {}}}
_CHANNEL_TYPES: dict[str, dict[str, Any]] = {
    "str": {"type": "string"}, "int": {"type": "integer"}, "float": {"type": "number"},
    "bool": {"type": "boolean"}, "dict": {"type": "object"}, "list": {"type": "array"}, "any": {},
    "document": {"type": "object", "properties": {"page_content": {"type": "string"}, "metadata": {"type": "object"}},
                 "required": ["page_content"]},
    "messages": {"anyOf": [{"type": "string", "description": "one user message"},
                           {"type": "array", "items": _MESSAGE}]},
}


def channel_json_schema(type_name: str) -> dict[str, Any]:
    """The JSON Schema of a value for a channel of type `type_name`."""
    if type_name.startswith("list[") and type_name.endswith("]"):
        return {"type": "array", "items": channel_json_schema(type_name[5:-1])}
    return dict(_CHANNEL_TYPES.get(type_name, {}))


def input_json_schema(spec: GraphSpec) -> dict[str, Any]:
    """The JSON Schema of a graph run's input: the input channel's value, or an object of
    channel values (the input channel among them)."""
    channels = {name: channel_json_schema(channel.type) for name, channel in spec.state.items()}
    return {"anyOf": [channels[spec.input_channel],
                      {"type": "object", "properties": channels, "required": [spec.input_channel],
                       "additionalProperties": False}],
            "description": f"the value of {spec.input_channel!r}, or an object of channel values"}

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

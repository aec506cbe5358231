"""Node kinds in a hand-written LangGraph StateGraph, without a graph file."""

from __future__ import annotations

import types
from pathlib import Path
from typing import Annotated, Any, Sequence, Union, get_args, get_origin, get_type_hints

from langchain_core.messages import BaseMessage
from langchain_core.tools import BaseTool
from pydantic import ValidationError

from agentkit.engine.context import NodeContext
from agentkit.engine.refs import ResourceRef, refs_in
from agentkit.engine.registry import NodeFunction, Registry, registry as default_registry
from agentkit.engine.resources import ResourcePool
from agentkit.errors import ConfigError, suggest
from agentkit.spec.models import ChannelSpec
from agentkit.workspace import find_workspace


def make_node(
    kind: str,
    *,
    state: type | None = None,
    resources: dict[str, Any] | None = None,
    tools: Sequence[BaseTool] = (),
    registry: Registry = default_registry,
    **params: Any,
) -> NodeFunction:
    """A node function of `kind`, for `StateGraph.add_node`.

    Resource params take the object itself (`llm=model`) or a name in `resources`;
    `state` is the graph's state schema (so an llm node knows a messages channel)."""
    node_kind = registry.node_kinds().get(kind)
    if node_kind is None:
        raise ConfigError(f"unknown node kind {kind!r}: {suggest(kind, registry.node_kinds())}")
    provided = dict(resources or {})
    for name, field in node_kind.params_model.model_fields.items():
        value = params.get(name)
        is_resource = any(isinstance(ref, ResourceRef) for ref in refs_in(field.rebuild_annotation()))
        if value is not None and not isinstance(value, str) and is_resource:
            provided[name] = value
            params[name] = name
    try:
        validated = node_kind.params_model.model_validate(params)
    except ValidationError as exc:
        raise ConfigError(f"node kind {kind!r}: invalid parameters:\n{exc}") from None
    workspace = find_workspace()
    ctx = NodeContext(
        node=kind,
        channels=channels_from_schema(state) if state is not None else {},
        base_dir=Path.cwd(),
        registry=registry,
        workspace=workspace,
        resources=ResourcePool({}, registry, provided),
        tools={**registry.tools(workspace), **{t.name: t for t in tools}},
    )
    return node_kind.build(validated, ctx)


def channels_from_schema(schema: type) -> dict[str, ChannelSpec]:
    """Channel specs for a TypedDict state schema: message lists become `messages`."""
    return {
        name: ChannelSpec(type="messages" if _is_message_list(hint) else "any")
        for name, hint in get_type_hints(schema, include_extras=True).items()
    }


def _is_message_list(hint: Any) -> bool:
    if get_origin(hint) is Annotated:
        return _is_message_list(get_args(hint)[0])
    return get_origin(hint) is list and _is_message(get_args(hint)[0])


def _is_message(hint: Any) -> bool:
    if isinstance(hint, type):
        return issubclass(hint, BaseMessage)
    if get_origin(hint) in (Annotated, Union, types.UnionType):
        return any(_is_message(arg) for arg in get_args(hint))
    return False

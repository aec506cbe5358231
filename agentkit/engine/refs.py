"""Typed references inside node params: to state channels, resources, tools and prompts.

A params model marks its fields with these annotations; the validator then checks
every referenced name exists, and `agentkit nodes` can say what a field points to.
"""

from __future__ import annotations

import types
from dataclasses import dataclass
from typing import Annotated, Any, Iterator, Union, get_args, get_origin

from pydantic import BaseModel


@dataclass(frozen=True)
class ChannelRef:
    """The value names a state channel."""


@dataclass(frozen=True)
class ResourceRef:
    """The value names a resource of `kind` declared under `resources:`."""

    kind: str


@dataclass(frozen=True)
class ToolRef:
    """The value names a registered or workspace tool."""


@dataclass(frozen=True)
class PromptRef:
    """The value names a versioned prompt, NAME or NAME@VERSION, in the workspace's prompts/."""


Channel = Annotated[str, ChannelRef()]
ToolName = Annotated[str, ToolRef()]
PromptName = Annotated[str, PromptRef()]


def Resource(kind: str) -> Any:  # noqa: N802 - reads like a type in annotations
    """Annotation for a param naming a resource of `kind`."""
    return Annotated[str, ResourceRef(kind)]


Ref = ChannelRef | ResourceRef | ToolRef | PromptRef
REFS: tuple[type, ...] = get_args(Ref)
Found = tuple[tuple[str | int, ...], str, Ref]


def find_refs(params: BaseModel) -> Iterator[Found]:
    """Every (path within params, referenced name, reference) in a params instance."""
    for name, info in type(params).model_fields.items():
        value = getattr(params, name)
        refs = [m for m in info.metadata if isinstance(m, REFS)]
        if refs and isinstance(value, str):
            yield (name,), value, refs[0]
        elif info.annotation is not None:
            yield from _walk(info.annotation, value, (name,))


def _walk(annotation: Any, value: Any, path: tuple[str | int, ...]) -> Iterator[Found]:
    origin = get_origin(annotation)
    if origin is Annotated:
        base, *meta = get_args(annotation)
        refs = [m for m in meta if isinstance(m, REFS)]
        if refs and isinstance(value, str):
            yield path, value, refs[0]
            return
        yield from _walk(base, value, path)
    elif origin in (Union, types.UnionType):
        for arg in get_args(annotation):
            yield from _walk(arg, value, path)
    elif origin is dict and isinstance(value, dict):
        key_type, value_type = get_args(annotation)
        for key, item in value.items():
            yield from _walk(key_type, key, path + (key,))
            yield from _walk(value_type, item, path + (key,))
    elif origin is list and isinstance(value, list):
        (item_type,) = get_args(annotation)
        for i, item in enumerate(value):
            yield from _walk(item_type, item, path + (i,))
    elif isinstance(annotation, type) and issubclass(annotation, BaseModel) and isinstance(value, BaseModel):
        for sub_path, name, ref in find_refs(value):
            yield path + sub_path, name, ref


def refs_in(annotation: Any) -> list[Ref]:
    """The references an annotation carries, at any depth (`Channel | None`, `dict[str, Channel]`)."""
    found: list[Ref] = []
    if get_origin(annotation) is Annotated:
        found += [m for m in get_args(annotation)[1:] if isinstance(m, REFS)]
    for arg in get_args(annotation):
        found += refs_in(arg)
    return found


def describe_ref(annotation: Any) -> str | None:
    """A short note for `agentkit nodes`: what a field's value refers to."""
    for ref in refs_in(annotation):
        if isinstance(ref, ChannelRef):
            return "state channel"
        if isinstance(ref, ResourceRef):
            return f"resource ({ref.kind})"
        if isinstance(ref, PromptRef):
            return "prompt"
        return "tool"
    return None

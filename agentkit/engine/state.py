"""State channels: type names in graph files to Python types, reducers and per-run resets."""

from __future__ import annotations

import operator
import re
from typing import Annotated, Any, Callable, TypedDict

from langchain_core.documents import Document
from langchain_core.messages import AnyMessage
from langgraph.graph.message import add_messages
from langgraph.types import Overwrite

from agentkit.spec.models import ROUTE_CHANNEL, ChannelSpec, GraphSpec

BASE_TYPES: dict[str, Any] = {
    "str": str,
    "int": int,
    "float": float,
    "bool": bool,
    "dict": dict,
    "list": list,
    "any": Any,
    "document": Document,
    "messages": list[AnyMessage],
}
_LIST_OF = re.compile(r"^list\[(\w+)\]$")


def merge_dicts(left: dict[str, Any] | None, right: dict[str, Any] | None) -> dict[str, Any]:
    """Reducer `merge`: later keys win."""
    return {**(left or {}), **(right or {})}


REDUCERS: dict[str, Callable[[Any, Any], Any]] = {
    "append": operator.add,
    "add_messages": add_messages,
    "merge": merge_dicts,
}


def python_type(type_name: str) -> Any:
    """The Python type for a channel type name; ValueError names the known ones."""
    if type_name in BASE_TYPES:
        return BASE_TYPES[type_name]
    if (match := _LIST_OF.match(type_name)) and match.group(1) in BASE_TYPES:
        return list[BASE_TYPES[match.group(1)]]
    raise ValueError(
        f"unknown channel type {type_name!r}; use one of {', '.join(BASE_TYPES)} or list[T]"
    )


def is_list_type(type_name: str) -> bool:
    """True for list-valued channel types (which `append` can extend)."""
    return type_name in ("list", "messages") or bool(_LIST_OF.match(type_name))


def reducer_of(channel: ChannelSpec) -> str:
    """The effective reducer name (messages default to add_messages)."""
    return channel.reducer or ("add_messages" if channel.type == "messages" else "replace")


def reducer_problem(channel: ChannelSpec) -> str | None:
    """Why this channel's reducer does not fit its type, if it does not."""
    reducer = reducer_of(channel)
    if reducer in ("append", "add_messages") and not is_list_type(channel.type):
        return f"reducer {reducer!r} needs a list or messages channel, not {channel.type!r}"
    if reducer == "merge" and channel.type not in ("dict", "any"):
        return f"reducer 'merge' needs a dict channel, not {channel.type!r}"
    return None


def channels_of(spec: GraphSpec) -> dict[str, ChannelSpec]:
    """Declared channels plus the route channel that route edges read."""
    channels = dict(spec.state)
    channels.setdefault(ROUTE_CHANNEL, ChannelSpec(type="str"))
    return channels


def state_schema(spec: GraphSpec) -> type:
    """A TypedDict with one annotated key per channel, for `StateGraph(schema)`."""
    fields: dict[str, Any] = {}
    for name, channel in channels_of(spec).items():
        py_type = python_type(channel.type)
        reducer = reducer_of(channel)
        fields[name] = py_type if reducer == "replace" else Annotated[py_type, REDUCERS[reducer]]
    return TypedDict(f"{spec.name.replace('-', '_')}_state", fields, total=False)  # type: ignore[misc]


def run_channels(spec: GraphSpec) -> dict[str, ChannelSpec]:
    """Channels declared `scope: run`: they start every run at their default."""
    return {name: channel for name, channel in spec.state.items() if channel.scope == "run"}


def run_resets(spec: GraphSpec) -> Callable[[Any], list[tuple[str, Any]] | None]:
    """For a run's input: the writes that start each run channel at the input's value or
    else its default (`Overwrite` bypasses the reducer, so an `append` channel starts empty)."""
    channels = run_channels(spec)

    def writes(run_input: Any) -> list[tuple[str, Any]] | None:
        if not isinstance(run_input, dict):  # None or a Command resumes the same run
            return None
        updates = []
        for name, channel in channels.items():
            reducer = reducer_of(channel)
            if reducer != "replace":
                start = _empty(channel)
                if name in run_input:
                    start = REDUCERS[reducer](start, run_input[name])
                updates.append((name, Overwrite(start)))
            elif name not in run_input:
                updates.append((name, channel.default))
        return updates

    return writes


def _empty(channel: ChannelSpec) -> Any:
    if channel.default is not None:
        return channel.default
    return {} if reducer_of(channel) == "merge" else []

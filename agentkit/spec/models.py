"""The GraphSpec: a graph file as typed, validated data.

A graph file is YAML; these models are its schema. Nodes and resources are written
inline (`retrieve: {kind: retrieve, k: 8}`): `kind` names a registered kind and every
other key is a parameter checked against that kind's params model at compile time.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    PrivateAttr,
    Tag,
    field_validator,
    model_serializer,
    model_validator,
)

START = "START"
END = "END"
ROUTE_CHANNEL = "route"

Reducer = Literal["replace", "append", "add_messages", "merge"]
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]*")
_NAME_CHAR = re.compile(r"[A-Za-z0-9_\-]")


def _check_name(value: str, what: str) -> str:
    """Names are ASCII identifiers (they become LangGraph node ids, Mermaid ids and
    template fields); the message names the first character that breaks the rule."""
    if _NAME.fullmatch(value) and value not in (START, END):
        return value
    rule = (f"{what} name {value!r} must start with an ASCII letter (a-z, A-Z) or '_', contain only "
            f"ASCII letters, digits, '_' or '-', and not be START or END")
    bad = next((c for c in value if not _NAME_CHAR.fullmatch(c)), None)
    if bad is not None:
        rule += f"; {bad!r} is not allowed"
    elif value and not _NAME.fullmatch(value):
        rule += f"; it cannot start with {value[0]!r}"
    raise ValueError(rule)


ChannelName = Annotated[str, AfterValidator(lambda value: _check_name(value, "channel"))]
ResourceName = Annotated[str, AfterValidator(lambda value: _check_name(value, "resource"))]
NodeName = Annotated[str, AfterValidator(lambda value: _check_name(value, "node"))]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ChannelSpec(_Strict):
    """A typed state channel. Shorthand in YAML: `question: str`."""

    type: str = Field(
        "any",
        description="str, int, float, bool, dict, list, list[T], messages, document, any",
    )
    reducer: Reducer | None = Field(
        None,
        description="how updates combine: replace (default), append (lists), "
        "add_messages (default for messages), merge (dicts)",
    )
    default: Any = Field(None, description="initial value when the run's input omits it")
    scope: Literal["thread", "run"] | None = Field(
        None,
        description="thread (default): kept across the runs of a thread; run: back to its default "
        "at the start of every run unless the run's input sets it",
    )
    description: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        return {"type": data} if isinstance(data, str) else data

    @model_serializer(mode="wrap")
    def _serialize(self, handler: Any) -> Any:
        data = {k: v for k, v in handler(self).items() if v is not None}
        return data["type"] if list(data) == ["type"] else data


class _Inline(BaseModel):
    """`{kind: x, a: 1}` in YAML; `kind` plus `params` in Python."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: str = Field(description="a registered kind (see `agentkit nodes`)")
    params: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _collect_params(cls, data: Any) -> Any:
        if not isinstance(data, dict) or "params" in data:
            return data
        kind = {"kind": data["kind"]} if "kind" in data else {}
        return {**kind, "params": {k: v for k, v in data.items() if k != "kind"}}

    @model_serializer(mode="plain")
    def _serialize(self) -> dict[str, Any]:
        return {"kind": self.kind, **self.params}


class NodeSpec(_Inline):
    """A node: its kind and that kind's parameters."""


class ResourceSpec(_Inline):
    """A shared resource (model, store, ...) built once and referenced by name."""


class Edge(_Strict):
    """A plain edge. YAML: `[a, b]` or `{from: a, to: b}`."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    source: str = Field(alias="from")
    target: str = Field(alias="to")

    @model_validator(mode="before")
    @classmethod
    def _pair(cls, data: Any) -> Any:
        if isinstance(data, (list, tuple)):
            if len(data) != 2:
                raise ValueError(f"an edge list must be [from, to], got {len(data)} items")
            return {"from": data[0], "to": data[1]}
        return data

    @model_serializer(mode="plain")
    def _serialize(self) -> list[str]:
        return [self.source, self.target]


class RouteEdge(_Strict):
    """Conditional edges: the source node sets a route label, `routes` maps labels to nodes."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    source: str = Field(alias="from")
    routes: dict[str, str] = Field(min_length=1, description="route label -> target node")
    default: str | None = Field(None, description="target for a label not listed in routes")

    @model_serializer(mode="plain")
    def _serialize(self) -> dict[str, Any]:
        data: dict[str, Any] = {"from": self.source, "routes": dict(self.routes)}
        if self.default is not None:
            data["default"] = self.default
        return data


def _edge_tag(value: Any) -> str:
    if isinstance(value, RouteEdge) or (isinstance(value, dict) and "routes" in value):
        return "routes"
    return "edge"


AnyEdge = Annotated[
    Annotated[Edge, Tag("edge")] | Annotated[RouteEdge, Tag("routes")],
    Discriminator(_edge_tag),
]
EDGE_TAGS = ("edge", "routes")


class Limits(_Strict):
    """Bounds on a run."""

    max_steps: int | None = Field(
        None, ge=1, description="super-steps before a run stops; required when edges form a loop"
    )


class GraphSpec(_Strict):
    """A declarative LangGraph state machine."""

    name: str
    version: int | str = 1
    description: str | None = None
    input: str | None = Field(None, description="channel that receives the run's input text")
    output: str | None = Field(None, description="channel holding the answer")
    state: dict[ChannelName, ChannelSpec] = Field(min_length=1)
    resources: dict[ResourceName, ResourceSpec] = Field(default_factory=dict)
    nodes: dict[NodeName, NodeSpec] = Field(min_length=1)
    edges: list[AnyEdge] = Field(min_length=1)
    limits: Limits = Field(default_factory=Limits)

    _source: Any = PrivateAttr(default=None)
    _base_dir: Path | None = PrivateAttr(default=None)

    def __eq__(self, other: object) -> bool:
        """Equal content; where a spec was loaded from does not count."""
        return isinstance(other, GraphSpec) and self.__dict__ == other.__dict__

    __hash__ = None  # type: ignore[assignment]

    @property
    def base_dir(self) -> Path:
        """Folder that relative paths in the spec resolve against (the file's folder)."""
        return self._base_dir or Path.cwd()

    @field_validator("name")
    @classmethod
    def _graph_name(cls, value: str) -> str:
        return _check_name(value, "graph")

    @property
    def input_channel(self) -> str:
        """The channel the run's input goes to (declared, else the first channel)."""
        return self.input or next(iter(self.state))

    @property
    def output_channel(self) -> str:
        """The channel printed as the answer (declared, else the last channel)."""
        return self.output or list(self.state)[-1]

    def to_data(self) -> dict[str, Any]:
        """Plain data in the shape of a graph file (what `dump_yaml` writes)."""
        data = self.model_dump(mode="json", by_alias=True, exclude_none=True)
        if not data.get("resources"):
            data.pop("resources", None)
        if not data.get("limits"):
            data.pop("limits", None)
        return data

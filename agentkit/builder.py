"""Build a GraphSpec in code: the same spec, and so the same graph, as a YAML file."""

from __future__ import annotations

from typing import Any

from langgraph.graph.state import CompiledStateGraph

from agentkit.engine.compiler import compile_graph
from agentkit.spec.loader import spec_from_data
from agentkit.spec.models import GraphSpec


class GraphBuilder:
    """Fluent builder: `GraphBuilder("x").channel(...).node(...).edge(...).spec()`."""

    def __init__(self, name: str, *, version: int | str = 1, description: str | None = None,
                 input: str | None = None, output: str | None = None) -> None:
        header = {"name": name, "version": version, "description": description, "input": input, "output": output}
        self._data: dict[str, Any] = {k: v for k, v in header.items() if v is not None}
        self._data.update(state={}, resources={}, nodes={}, edges=[])

    def channel(self, name: str, type: str = "any", **options: Any) -> GraphBuilder:
        """A state channel (`reducer=`, `default=`, `description=` as in YAML)."""
        self._data["state"][name] = {"type": type, **options}
        return self

    def resource(self, name: str, kind: str, **params: Any) -> GraphBuilder:
        """A shared resource, e.g. `.resource("llm", "chat_model")`."""
        self._data["resources"][name] = {"kind": kind, **params}
        return self

    def node(self, name: str, kind: str, **params: Any) -> GraphBuilder:
        """A node of a registered kind with its params."""
        self._data["nodes"][name] = {"kind": kind, **params}
        return self

    def edge(self, source: str, target: str) -> GraphBuilder:
        """A plain edge; use "START" and "END" for the ends."""
        self._data["edges"].append([source, target])
        return self

    def routes(self, source: str, routes: dict[str, str], *, default: str | None = None) -> GraphBuilder:
        """Conditional edges on the route label `source` sets."""
        edge: dict[str, Any] = {"from": source, "routes": routes}
        if default is not None:
            edge["default"] = default
        self._data["edges"].append(edge)
        return self

    def limits(self, *, max_steps: int) -> GraphBuilder:
        """Bound the number of steps (required when edges loop)."""
        self._data["limits"] = {"max_steps": max_steps}
        return self

    def spec(self) -> GraphSpec:
        """The validated spec (GraphSpecError names the key of any problem)."""
        return spec_from_data(self._data)

    def compile(self, **kwargs: Any) -> CompiledStateGraph:
        """The compiled LangGraph graph (keyword arguments as for `compile_graph`)."""
        return compile_graph(self.spec(), **kwargs)

"""GraphSpec -> LangGraph StateGraph -> compiled graph."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.errors import GraphBubbleUp
from langgraph.graph import END as LG_END
from langgraph.graph import START as LG_START
from langgraph.graph import StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.pregel._write import ChannelWrite, ChannelWriteTupleEntry
from langgraph.types import Checkpointer

from agentkit.engine.context import NodeContext
from agentkit.engine.registry import NodeFunction, Registry, registry as default_registry
from agentkit.engine.resources import ResourcePool
from agentkit.engine.state import channels_of, run_channels, run_resets, state_schema
from agentkit.engine.validate import check_spec
from agentkit.errors import AgentkitError, ContextLengthError, RunError
from agentkit.spec.loader import load_spec
from agentkit.spec.models import END, ROUTE_CHANNEL, START, Edge, GraphSpec
from agentkit.workspace import find_workspace

_DEFAULT_ROUTE = "__default__"


def build_state_graph(
    spec: GraphSpec,
    *,
    registry: Registry = default_registry,
    workspace: Path | None = None,
    resources: dict[str, Any] | None = None,
    stack: tuple[Path, ...] = (),
) -> StateGraph:
    """Validate `spec` and turn it into an uncompiled StateGraph.

    `resources` maps resource names to objects made in code; they replace the
    spec's declarations of the same name."""
    workspace = workspace or find_workspace(spec.base_dir)
    check_spec(spec, registry=registry, workspace=workspace, stack=stack, provided=resources or {})
    pool = ResourcePool(spec.resources, registry, resources, workspace)
    channels = channels_of(spec)
    tools = registry.tools(workspace)
    kinds = registry.node_kinds()
    graph = StateGraph(state_schema(spec))
    for name, node in spec.nodes.items():
        kind = kinds[node.kind]
        params = kind.params_model.model_validate(node.params)
        ctx = NodeContext(name, channels, spec.base_dir, registry, workspace, pool, tools)
        graph.add_node(name, _guard(name, node.kind, kind.build(params, ctx)))
    for edge in spec.edges:
        if isinstance(edge, Edge):
            graph.add_edge(_lg(edge.source), _lg(edge.target))
        else:
            targets = {label: _lg(target) for label, target in edge.routes.items()}
            if edge.default is not None:
                targets[_DEFAULT_ROUTE] = _lg(edge.default)
            graph.add_conditional_edges(edge.source, _router(edge.source, targets), targets)
    return graph


def compile_graph(
    spec: GraphSpec,
    *,
    checkpointer: Checkpointer = None,
    registry: Registry = default_registry,
    workspace: Path | None = None,
    resources: dict[str, Any] | None = None,
) -> CompiledStateGraph:
    """A compiled LangGraph graph named after the spec, with its step limit applied and its
    `scope: run` channels reset at the start of every run."""
    graph = build_state_graph(spec, registry=registry, workspace=workspace, resources=resources)
    return compile_state_graph(graph, spec, checkpointer=checkpointer)


def compile_state_graph(graph: StateGraph, spec: GraphSpec, *, checkpointer: Checkpointer = None) -> CompiledStateGraph:
    """`graph` (from `build_state_graph(spec)`) compiled as `compile_graph` does."""
    compiled = graph.compile(checkpointer=checkpointer, name=spec.name)
    if run_channels(spec):
        _reset_at_start(compiled, spec)
    if spec.limits.max_steps is not None:
        compiled = compiled.with_config(recursion_limit=spec.limits.max_steps)
    return compiled


def _reset_at_start(compiled: CompiledStateGraph, spec: GraphSpec) -> None:
    """Make START, which maps each run's input to channel writes, also write the resets, so
    every invoke/stream (from Python too) starts the run channels afresh, in no extra step."""
    start = compiled.nodes[LG_START]
    start.writers.append(ChannelWrite((ChannelWriteTupleEntry(mapper=run_resets(spec)),)))


def load_graph(path: str | Path, **kwargs: Any) -> CompiledStateGraph:
    """Load a graph file and compile it (keyword arguments as for `compile_graph`)."""
    return compile_graph(load_spec(path), **kwargs)


def _lg(name: str) -> str:
    return {START: LG_START, END: LG_END}.get(name, name)


def _router(source: str, targets: dict[str, str]) -> Any:
    def route(state: dict[str, Any]) -> str:
        label = state.get(ROUTE_CHANNEL)
        if label in targets and label != _DEFAULT_ROUTE:
            return label
        if _DEFAULT_ROUTE in targets:
            return _DEFAULT_ROUTE
        raise RunError(
            f"node {source!r} set route label {label!r}, which has no target; "
            f"add it under that node's routes or give the routes a default"
        )

    route.__name__ = f"route_after_{source}"
    return route


def _guard(name: str, kind: str, fn: NodeFunction) -> NodeFunction:
    """Name the node in any error it raises; LangGraph's own control flow passes through."""

    def node(state: dict[str, Any], config: RunnableConfig) -> dict[str, Any]:
        try:
            return fn(state, config)
        except ContextLengthError as exc:
            raise (exc if exc.where else exc.at(f"node {name!r}")) from None
        except (GraphBubbleUp, AgentkitError):
            raise
        except Exception as exc:
            raise RunError(f"node {name!r} (kind {kind!r}) failed: {type(exc).__name__}: {exc}") from exc

    node.__name__ = name
    return node

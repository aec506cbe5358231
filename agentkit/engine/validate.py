"""Semantic checks of a GraphSpec: kinds, params, references, and the edge graph."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Collection

import networkx as nx
from pydantic import BaseModel, ValidationError

from agentkit.engine.context import CheckContext
from agentkit.engine.refs import ChannelRef, PromptRef, ResourceRef, ToolRef, find_refs
from agentkit.engine.registry import Registry, registry as default_registry
from agentkit.engine.state import channels_of, python_type, reducer_problem
from agentkit.errors import AgentkitError, GraphSpecError, Problem, suggest
from agentkit.prompts import PromptStore
from agentkit.spec.loader import KeyPath, SourceMap
from agentkit.spec.models import END, START, Edge, GraphSpec, RouteEdge
from agentkit.workspace import find_workspace


def validate_spec(
    spec: GraphSpec,
    *,
    registry: Registry = default_registry,
    workspace: Path | None = None,
    stack: tuple[Path, ...] = (),
    provided: Collection[str] = (),
) -> list[Problem]:
    """Every problem found in `spec` (empty when it compiles).

    `provided` names resources that will be given as objects in code."""
    ctx = CheckContext(spec, registry, workspace or find_workspace(spec.base_dir), stack, frozenset(provided))
    source: SourceMap = spec._source or SourceMap()
    problems: list[Problem] = []
    add = lambda path, msg, hint=None: problems.append(source.problem(path, msg, hint))  # noqa: E731

    _check_state(spec, add)
    _check_resources(ctx, add)
    params = _check_nodes(ctx, add)
    _check_edges(spec, registry, params, add)
    return problems


def check_spec(spec: GraphSpec, **kwargs: Any) -> None:
    """Raise GraphSpecError listing every problem, if there are any."""
    if problems := validate_spec(spec, **kwargs):
        raise GraphSpecError(problems)


def _check_state(spec: GraphSpec, add: Any) -> None:
    for name, channel in spec.state.items():
        try:
            python_type(channel.type)
        except ValueError as exc:
            add(("state", name, "type"), str(exc), "fix the type name")
            continue
        if why := reducer_problem(channel):
            add(("state", name, "reducer"), why, "change the reducer or the channel type")
    for key in ("input", "output"):
        name = getattr(spec, key)
        if name is not None and name not in spec.state:
            add((key,), f"{key} channel {name!r} is not declared under state:",
                f"declare it or pick one: {suggest(name, spec.state)}")


def _check_resources(ctx: CheckContext, add: Any) -> None:
    kinds = ctx.registry.resource_kinds()
    for name, resource in ctx.spec.resources.items():
        kind = kinds.get(resource.kind)
        if kind is None:
            add(("resources", name, "kind"), f"unknown resource kind {resource.kind!r}",
                suggest(resource.kind, kinds))
            continue
        _validate_params(kind.params_model, resource.params, ("resources", name), add)


def _check_nodes(ctx: CheckContext, add: Any) -> dict[str, BaseModel]:
    kinds = ctx.registry.node_kinds()
    channels = channels_of(ctx.spec)
    tool_names: set[str] | None = None
    built: dict[str, BaseModel] = {}
    for name, node in ctx.spec.nodes.items():
        here: KeyPath = ("nodes", name)
        kind = kinds.get(node.kind)
        if kind is None:
            add(here + ("kind",), f"unknown node kind {node.kind!r}",
                f"{suggest(node.kind, kinds)} (`agentkit nodes` lists them)")
            continue
        params = _validate_params(kind.params_model, node.params, here, add)
        if params is None:
            continue
        built[name] = params
        for path, ref_name, ref in find_refs(params):
            if isinstance(ref, ChannelRef) and ref_name not in channels:
                add(here + path, f"state channel {ref_name!r} is not declared",
                    f"declare it under state: or use one of them: {suggest(ref_name, channels)}")
            elif isinstance(ref, ResourceRef):
                _check_resource_ref(ctx, ref_name, ref.kind, here + path, add)
            elif isinstance(ref, ToolRef):
                if tool_names is None:
                    tool_names = set(ctx.registry.tools(ctx.workspace))
                if ref_name not in tool_names:
                    add(here + path, f"unknown tool {ref_name!r}",
                        f"{suggest(ref_name, tool_names)}; add it to {ctx.workspace / 'tools'} "
                        f"or register it under the `agentkit.tools` entry point")
            elif isinstance(ref, PromptRef):
                try:
                    PromptStore(ctx.workspace / "prompts").get(ref_name, record=False)
                except AgentkitError as exc:
                    add(here + path, str(exc), "create the prompt file or fix the reference (`agentkit prompts list`)")
        if kind.check is not None:
            for path, message, hint in kind.check(params, ctx):
                add(here + path, message, hint)
    return built


def _check_resource_ref(ctx: CheckContext, name: str, kind: str, path: KeyPath, add: Any) -> None:
    spec = ctx.spec
    declared = spec.resources.get(name)
    if name in ctx.provided:
        return
    if declared is None:
        add(path, f"resource {name!r} is not declared",
            f"add `{name}: {{kind: {kind}}}` under resources: ({suggest(name, spec.resources)})")
    elif declared.kind != kind and declared.kind in ctx.registry.resource_kinds():
        add(path, f"resource {name!r} is a {declared.kind!r}, this needs a {kind!r}",
            f"point it at a {kind} resource")


def _validate_params(model: type[BaseModel], params: dict[str, Any], here: KeyPath, add: Any) -> BaseModel | None:
    try:
        return model.model_validate(params)
    except ValidationError as exc:
        fields = list(model.model_fields)
        for error in exc.errors():
            loc = tuple(error["loc"])
            if error["type"] == "extra_forbidden":
                add(here + loc, f"unknown parameter {loc[-1]!r}",
                    f"remove it or fix its spelling: {suggest(str(loc[-1]), fields)}")
            elif error["type"] == "missing":
                add(here + loc, f"required parameter {loc[-1]!r} is missing", f"add `{loc[-1]}:`")
            else:
                add(here + loc, f"{error['msg'].removeprefix('Value error, ')} (got {error['input']!r})",
                    "fix the value's type or range")
        return None


def _check_edges(spec: GraphSpec, registry: Registry, params: dict[str, BaseModel], add: Any) -> None:
    nodes = set(spec.nodes)
    graph = nx.DiGraph()
    graph.add_nodes_from([START, END, *nodes])
    routed: dict[str, int] = {}
    plain: dict[str, int] = {}

    def endpoint(name: str, path: KeyPath, role: str) -> bool:
        if role == "source" and name == END:
            add(path, "an edge cannot leave END", "END is only a target")
        elif role == "target" and name == START:
            add(path, "an edge cannot enter START", "START is only a source")
        elif name not in nodes | {START, END}:
            add(path, f"edge {role} {name!r} is not a node",
                f"{suggest(name, nodes | {START, END})}; declare it under nodes:")
        else:
            return True
        return False

    for i, edge in enumerate(spec.edges):
        if isinstance(edge, Edge):
            ok_source = endpoint(edge.source, ("edges", i, 0), "source")
            ok_target = endpoint(edge.target, ("edges", i, 1), "target")
            plain.setdefault(edge.source, i)
            if ok_source and ok_target:
                graph.add_edge(edge.source, edge.target)
            continue
        if not endpoint(edge.source, ("edges", i, "from"), "source"):
            continue
        if edge.source in routed:
            add(("edges", i), f"node {edge.source!r} already has routes (edges[{routed[edge.source]}])",
                "merge both into one routes mapping")
        routed[edge.source] = i
        for label, target in edge.routes.items():
            if endpoint(target, ("edges", i, "routes", label), "target"):
                graph.add_edge(edge.source, target)
        if edge.default is not None and endpoint(edge.default, ("edges", i, "default"), "target"):
            graph.add_edge(edge.source, edge.default)
        _check_labels(spec, registry, params, edge, i, add)

    for source, i in plain.items():
        if source in routed:
            add(("edges", i), f"node {source!r} has both a plain edge and routes",
                f"use only the routes of edges[{routed[source]}] (add the target as a route)")
    _check_flow(spec, graph, add)


def _check_labels(spec: GraphSpec, registry: Registry, params: dict[str, BaseModel],
                  edge: RouteEdge, i: int, add: Any) -> None:
    node = spec.nodes.get(edge.source)
    kind = registry.node_kinds().get(node.kind) if node else None
    if kind is None or edge.source not in params:
        return
    if kind.route_labels is None:
        add(("edges", i, "from"), f"node {edge.source!r} (kind {node.kind!r}) sets no route label",
            "route from a node that sets one (e.g. kind `route`), or use a plain edge")
        return
    labels = set(kind.route_labels(params[edge.source]))
    if edge.default is None:
        for label in sorted(labels - set(edge.routes)):
            add(("edges", i, "routes"), f"route label {label!r} of node {edge.source!r} has no target",
                f"add `{label}: <node>` under routes, or a `default:` target")
    for label in sorted(set(edge.routes) - labels):
        add(("edges", i, "routes", label), f"node {edge.source!r} never sets route label {label!r}",
            f"it sets: {', '.join(sorted(labels))}")


def _check_flow(spec: GraphSpec, graph: nx.DiGraph, add: Any) -> None:
    if not graph.out_degree(START):
        add(("edges",), "no edge leaves START", "add `[START, <first node>]`")
        return
    reachable = nx.descendants(graph, START)
    for name in spec.nodes:
        if name not in reachable:
            add(("nodes", name), f"node {name!r} is unreachable from START",
                "add an edge into it, or remove the node")
    reaches_end = nx.ancestors(graph, END)
    for name in spec.nodes:
        if name in reachable and name not in reaches_end:
            add(("nodes", name), f"no path from node {name!r} to END",
                "add an edge from it (or from a node after it) to END")
    if spec.limits.max_steps is None:
        cycle = next(iter(nx.simple_cycles(graph)), None)
        if cycle:
            loop = " -> ".join([*cycle, cycle[0]])
            add(("edges",), f"the loop {loop} has no bound",
                "add `limits: {max_steps: N}` so a run cannot loop forever")

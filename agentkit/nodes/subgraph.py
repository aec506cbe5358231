"""Node kind `subgraph`: another graph file run as one node."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from langchain_core.runnables import RunnableConfig
from pydantic import BaseModel, ConfigDict, Field

from agentkit.engine.context import CheckContext, NodeContext
from agentkit.engine.refs import Channel
from agentkit.engine.registry import NodeFunction, node_kind
from agentkit.errors import GraphSpecError
from agentkit.spec.loader import load_spec


class SubgraphParams(BaseModel):
    """Parameters of a `subgraph` node."""

    model_config = ConfigDict(extra="forbid")

    graph: str = Field(description="graph file, relative to this graph file")
    inputs: dict[str, Channel] = Field(default_factory=dict, description="subgraph channel <- this graph's channel")
    outputs: dict[Channel, str] = Field(default_factory=dict, description="this graph's channel <- subgraph channel")


def _path(params: SubgraphParams, base_dir: Path) -> Path:
    return (base_dir / params.graph).resolve()


def _check(params: SubgraphParams, ctx: CheckContext) -> Any:
    from agentkit.engine.validate import validate_spec

    path = _path(params, ctx.spec.base_dir)
    if path in ctx.stack:
        yield ("graph",), f"subgraph {path.name} includes itself (through {' -> '.join(p.name for p in ctx.stack)})", \
            "break the cycle of subgraph files"
        return
    try:
        sub = load_spec(path)
    except GraphSpecError as exc:
        yield ("graph",), f"subgraph {params.graph} is not valid:\n{exc}", "fix the subgraph file"
        return
    problems = validate_spec(sub, registry=ctx.registry, workspace=ctx.workspace, stack=(*ctx.stack, path))
    if problems:
        listed = "\n".join(f"      {p}" for p in problems)
        yield ("graph",), f"subgraph {params.graph} is not valid:\n{listed}", "fix the subgraph file"
    for name in params.inputs:
        if name not in sub.state:
            yield ("inputs", name), f"subgraph {sub.name!r} has no channel {name!r}", f"its channels: {', '.join(sub.state)}"
    for parent, name in params.outputs.items():
        if name not in sub.state:
            yield ("outputs", parent), f"subgraph {sub.name!r} has no channel {name!r}", f"its channels: {', '.join(sub.state)}"


@node_kind("subgraph", check=_check)
def subgraph_node(params: SubgraphParams, ctx: NodeContext) -> NodeFunction:
    """Map channels in, run the other graph to its end, map channels out."""
    from agentkit.engine.compiler import compile_graph

    graph = compile_graph(load_spec(_path(params, ctx.base_dir)), registry=ctx.registry, workspace=ctx.workspace)

    def run(state: dict[str, Any], config: RunnableConfig) -> dict[str, Any]:
        result = graph.invoke({sub: state.get(parent) for sub, parent in params.inputs.items()}, config)
        return {parent: result.get(sub) for parent, sub in params.outputs.items()}

    return run

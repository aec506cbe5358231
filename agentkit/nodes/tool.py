"""Node kind `tool`: call a named tool with arguments from params and state."""

from __future__ import annotations

from typing import Any

from langchain_core.runnables import RunnableConfig
from pydantic import BaseModel, ConfigDict, Field

from agentkit.engine.context import NodeContext
from agentkit.engine.refs import Channel, ToolName
from agentkit.engine.registry import NodeFunction, node_kind


class ToolParams(BaseModel):
    """Parameters of a `tool` node."""

    model_config = ConfigDict(extra="forbid")

    tool: ToolName = Field(description="tool name (registered, entry point, or workspace tools/)")
    args: dict[str, Any] = Field(default_factory=dict, description="fixed arguments")
    from_state: dict[str, Channel] = Field(default_factory=dict, description="argument -> channel")
    output: Channel = Field(description="channel for the tool's result")


@node_kind("tool")
def tool_node(params: ToolParams, ctx: NodeContext) -> NodeFunction:
    """Invoke a LangChain tool; its result goes to the output channel."""
    tool = ctx.tools[params.tool]

    def run(state: dict[str, Any], config: RunnableConfig) -> dict[str, Any]:
        args = {**params.args, **{arg: state.get(channel) for arg, channel in params.from_state.items()}}
        return {params.output: tool.invoke(args, config)}

    return run

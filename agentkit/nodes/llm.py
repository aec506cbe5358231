"""Node kind `llm`: prompt template -> chat model -> state channel."""

from __future__ import annotations

from typing import Any

from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage
from langchain_core.runnables import RunnableConfig
from pydantic import BaseModel, ConfigDict, Field

from agentkit.engine.context import CheckContext, NodeContext
from agentkit.engine.refs import Channel, Resource
from agentkit.engine.registry import NodeFunction, node_kind
from agentkit.engine.state import channels_of
from agentkit.nodes.common import render, template_problems


class LLMParams(BaseModel):
    """Parameters of an `llm` node."""

    model_config = ConfigDict(extra="forbid")

    llm: Resource("chat_model") = Field(description="chat model resource")
    system: str | None = Field(None, description="system message template, {channel} placeholders")
    prompt: str | None = Field(None, description="user message template, {channel} placeholders")
    messages: Channel | None = Field(None, description="conversation channel sent before the prompt")
    output: Channel = Field(description="channel for the reply (a messages channel gets the AIMessage)")
    max_tokens: int | None = Field(None, ge=1, description="cap on generated tokens")


def _check(params: LLMParams, ctx: CheckContext) -> Any:
    if params.prompt is None and params.messages is None:
        yield (), "an llm node needs `prompt:` or `messages:`", "add a prompt template or a conversation channel"
    yield from template_problems({"system": params.system, "prompt": params.prompt}, set(channels_of(ctx.spec)))


@node_kind("llm", check=_check)
def llm_node(params: LLMParams, ctx: NodeContext) -> NodeFunction:
    """Fill the prompt from state, call the chat model, write the reply to a channel."""
    model = ctx.resource(params.llm)
    if params.max_tokens is not None:
        model = model.bind(max_tokens=params.max_tokens)
    as_message = ctx.channel(params.output).type == "messages"

    def run(state: dict[str, Any], config: RunnableConfig) -> dict[str, Any]:
        messages: list[BaseMessage] = []
        if params.system:
            messages.append(SystemMessage(render(params.system, state)))
        if params.messages:
            messages.extend(state.get(params.messages) or [])
        if params.prompt:
            messages.append(HumanMessage(render(params.prompt, state)))
        reply = model.invoke(messages, config)
        return {params.output: [reply] if as_message else reply.text}

    return run

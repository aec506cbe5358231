"""Node kind `llm`: prompt (versioned or inline) -> chat model -> state channel."""

from __future__ import annotations

from typing import Any

from langchain_core.runnables import RunnableConfig
from pydantic import BaseModel, ConfigDict, Field

from agentkit.engine.context import CheckContext, NodeContext
from agentkit.engine.refs import Channel, PromptName, Resource
from agentkit.engine.registry import NodeFunction, node_kind
from agentkit.engine.state import channels_of
from agentkit.errors import AgentkitError
from agentkit.models.context import HistoryPolicy, token_counter, trim_history
from agentkit.nodes.common import template_problems
from agentkit.nodes.models import adapter_problems, with_adapter
from agentkit.prompts import Prompt, PromptStore
from agentkit.telemetry.records import PROMPT_KEY, PROMPT_VERSION_KEY
from agentkit.text import text_of


class LLMParams(BaseModel):
    """Parameters of an `llm` node."""

    model_config = ConfigDict(extra="forbid")

    llm: Resource("chat_model") = Field(description="chat model resource")
    adapter: str | None = Field(None, description="adapter of the chat model that answers (none: the base)")
    prompt: PromptName | None = Field(None, description="versioned prompt: NAME or NAME@VERSION (prompts/NAME.yaml)")
    system: str | None = Field(None, description="inline system message template, {channel} placeholders")
    template: str | None = Field(None, description="inline user message template, {channel} placeholders")
    messages: Channel | None = Field(None, description="conversation channel sent before the user message")
    output: Channel = Field(description="channel for the reply (a messages channel gets the AIMessage)")
    max_tokens: int | None = Field(None, ge=1, description="cap on generated tokens")
    history: HistoryPolicy | None = Field(
        None, description="send only the turns of `messages` within {max_tokens: N, strategy: last|first}")


def _prompt_of(params: LLMParams, workspace: Any, node: str) -> Prompt:
    if params.prompt is not None:
        return PromptStore(workspace / "prompts").get(params.prompt)
    return Prompt(name=node, system=params.system, template=params.template)


def _check(params: LLMParams, ctx: CheckContext) -> Any:
    yield from adapter_problems(params.llm, params.adapter, ctx)
    if params.prompt is not None and (params.system or params.template):
        yield ("prompt",), "give either a versioned `prompt:` or inline `system:`/`template:`, not both", \
            "move the inline text into the prompt file"
        return
    if params.prompt is None and params.template is None and params.messages is None:
        yield (), "an llm node needs `prompt:`, `template:` or `messages:`", \
            "add a prompt reference, an inline template or a conversation channel"
        return
    if params.history is not None and params.messages is None:
        yield ("history",), "`history:` trims the conversation, but this node has no `messages:` channel", \
            "add `messages: <channel>` or drop `history:`"
    if params.prompt is not None:
        try:
            prompt = PromptStore(ctx.workspace / "prompts").get(params.prompt, record=False)
        except AgentkitError:
            return  # the validator reports a prompt reference that does not resolve
        templates = {"prompt": "\n".join(filter(None, [prompt.system, prompt.template]))}
    else:
        templates = {"system": params.system, "template": params.template}
    yield from template_problems(templates, set(channels_of(ctx.spec)))


@node_kind("llm", check=_check)
def llm_node(params: LLMParams, ctx: NodeContext) -> NodeFunction:
    """Fill the prompt from state, call the chat model, write the reply to a channel.

    A prompt with an output schema gets structured output: the channel receives a dict."""
    from agentkit.observability.attributes import span_attributes

    prompt = _prompt_of(params, ctx.workspace, ctx.node)
    model = with_adapter(ctx.resource(params.llm), params.adapter)
    count = token_counter(model)
    if prompt.output_schema is not None:
        model = model.with_structured_output(prompt.output_schema)
    elif params.max_tokens is not None:
        model = model.bind(max_tokens=params.max_tokens)
    as_message = ctx.channel(params.output).type == "messages"

    def run(state: dict[str, Any], config: RunnableConfig) -> dict[str, Any]:
        values = {name: text_of(state.get(name)) for name in prompt.variables()}
        history = list(state.get(params.messages) or []) if params.messages else []
        if params.history is not None:
            history = trim_history(history, params.history, count)
        metadata = {**(config.get("metadata") or {}), PROMPT_KEY: prompt.name, PROMPT_VERSION_KEY: prompt.version}
        with span_attributes(prompt_version=prompt.ref, prompt_template=prompt.template or "",
                             prompt_variables=values):
            reply = model.invoke(prompt.to_messages(values, history), {**config, "metadata": metadata})
        if prompt.output_schema is not None:
            return {params.output: reply}
        return {params.output: [reply] if as_message else reply.text}

    return run

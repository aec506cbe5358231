"""Node kind `rewrite`: text in, the same text in a target style out (e.g. polite, professional).

The prompt is the style instruction as the system message, optional few-shot pairs as
earlier turns, then the text. The chat model may answer with an adapter trained for the
style (`adapter:`). When the output channel already holds a rewrite (a retry after a
failed check), the new one is sampled at `retry_temperature`, so it is another attempt."""

from __future__ import annotations

from typing import Any

from langchain_core.runnables import RunnableConfig
from pydantic import BaseModel, ConfigDict, Field

from agentkit.engine.context import CheckContext, NodeContext
from agentkit.engine.refs import Channel, Resource
from agentkit.engine.registry import NodeFunction, node_kind
from agentkit.nodes.models import adapter_problems, with_adapter
from agentkit.text import text_of
from agentkit.tone.rewriting import DEFAULT_STYLE, RewriteExample, rewrite_messages

class RewriteParams(BaseModel):
    """Parameters of a `rewrite` node."""

    model_config = ConfigDict(extra="forbid")

    llm: Resource("chat_model") = Field(description="chat model resource")
    adapter: str | None = Field(None, description="adapter of the chat model that rewrites (none: the base)")
    input: Channel = Field(description="channel with the text to rewrite")
    output: Channel = Field(description="channel for the rewritten text")
    style: str = Field(DEFAULT_STYLE, min_length=1, description="instruction: the target style")
    examples: list[RewriteExample] = Field(default_factory=list, description="few-shot {source, rewrite} pairs")
    max_tokens: int | None = Field(None, ge=1, description="cap on generated tokens (default: the model's)")
    retry_temperature: float = Field(0.7, ge=0.0, description="sampling temperature of a second attempt")
    retry_seed: int | None = Field(None, description="seed of the second attempt's sampling, for reproducible "
                                   "runs (none: a new sample every run)")


def _check(params: RewriteParams, ctx: CheckContext) -> Any:
    yield from adapter_problems(params.llm, params.adapter, ctx)
    if params.input == params.output:
        yield ("output",), "the rewrite would overwrite its own input channel", \
            "write it to another channel, so the source text stays for checks and retries"


@node_kind("rewrite", check=_check)
def rewrite_node(params: RewriteParams, ctx: NodeContext) -> NodeFunction:
    """Rewrite the input channel's text in the target style into the output channel."""
    model = with_adapter(ctx.resource(params.llm), params.adapter)
    if params.max_tokens is not None:
        model = model.bind(max_tokens=params.max_tokens)

    def run(state: dict[str, Any], config: RunnableConfig) -> dict[str, Any]:
        text = text_of(state.get(params.input)).strip()
        if not text:
            return {params.output: ""}
        retry = bool(text_of(state.get(params.output)).strip())
        sampling = {"temperature": params.retry_temperature} | (
            {"seed": params.retry_seed} if params.retry_seed is not None else {})
        call = model.bind(**sampling) if retry else model
        reply = call.invoke(rewrite_messages(text, params.style, params.examples), config)
        return {params.output: reply.text.strip()}

    return run

"""Node kind `route`: set a route label by keywords, embedding similarity, or the LLM's choice."""

from __future__ import annotations

import re
from typing import Any, Callable, Iterable, Literal

import numpy as np
from langchain_core.messages import HumanMessage, SystemMessage
from langchain_core.runnables import RunnableConfig
from pydantic import BaseModel, ConfigDict, Field

from agentkit.engine.context import CheckContext, NodeContext
from agentkit.engine.refs import Channel, Resource
from agentkit.engine.registry import NodeFunction, node_kind
from agentkit.text import text_of
from agentkit.spec.models import ROUTE_CHANNEL


class RouteParams(BaseModel):
    """Parameters of a `route` node."""

    model_config = ConfigDict(extra="forbid")

    by: Literal["keywords", "embedding", "llm"] = Field(description="how the label is chosen")
    input: Channel = Field(description="channel whose text is routed")
    routes: dict[str, list[str]] = Field(
        min_length=1,
        description="label -> keywords (keywords), example queries (embedding) or descriptions (llm)",
    )
    default: str | None = Field(None, description="label when nothing matches (required for keywords/embedding)")
    threshold: float = Field(0.5, ge=-1, le=1, description="embedding: least cosine similarity to match")
    embeddings: Resource("embeddings") | None = Field(None, description="embedding: embeddings resource")
    llm: Resource("chat_model") | None = Field(None, description="llm: chat model resource")


def _labels(params: RouteParams) -> Iterable[str]:
    return [*params.routes, *([params.default] if params.default else [])]


def _check(params: RouteParams, ctx: CheckContext) -> Any:
    if params.by in ("keywords", "embedding") and params.default is None:
        yield ("default",), f"routing by {params.by} needs a fallback label", "add `default: <label>`"
    if params.by == "embedding" and params.embeddings is None:
        yield ("embeddings",), "routing by embedding needs an embeddings resource", \
            "add `embeddings: <name>` and declare it under resources: with kind embeddings"
    if params.by == "llm" and params.llm is None:
        yield ("llm",), "routing by llm needs a chat model resource", "add `llm: <name>`"
    for label, examples in params.routes.items():
        if not examples:
            yield ("routes", label), f"label {label!r} has no {params.by} entries", "list at least one"


@node_kind("route", route_labels=_labels, check=_check)
def route_node(params: RouteParams, ctx: NodeContext) -> NodeFunction:
    """Set the `route` channel to a label chosen from the input text."""
    choose: Callable[[str, RunnableConfig], str] = {
        "keywords": _by_keywords, "embedding": _by_embedding, "llm": _by_llm,
    }[params.by](params, ctx)

    def run(state: dict[str, Any], config: RunnableConfig) -> dict[str, Any]:
        return {ROUTE_CHANNEL: choose(text_of(state.get(params.input)), config)}

    return run


def _by_keywords(params: RouteParams, ctx: NodeContext) -> Callable[[str, RunnableConfig], str]:
    patterns = {
        label: [re.compile(rf"\b{re.escape(word.lower())}\b") for word in words]
        for label, words in params.routes.items()
    }

    def choose(text: str, config: RunnableConfig) -> str:
        lowered = text.lower()
        hits = {label: sum(bool(p.search(lowered)) for p in pats) for label, pats in patterns.items()}
        best = max(hits, key=hits.__getitem__)
        return best if hits[best] else str(params.default)

    return choose


def _by_embedding(params: RouteParams, ctx: NodeContext) -> Callable[[str, RunnableConfig], str]:
    embedder = ctx.resource(str(params.embeddings))
    labels = [label for label, examples in params.routes.items() for _ in examples]
    examples = np.asarray(embedder.embed_documents([e for ex in params.routes.values() for e in ex]))
    examples /= np.linalg.norm(examples, axis=1, keepdims=True)

    def choose(text: str, config: RunnableConfig) -> str:
        query = np.asarray(embedder.embed_query(text))
        scores = examples @ (query / np.linalg.norm(query))
        best = int(np.argmax(scores))
        return labels[best] if scores[best] >= params.threshold else str(params.default)

    return choose


def _by_llm(params: RouteParams, ctx: NodeContext) -> Callable[[str, RunnableConfig], str]:
    model = ctx.resource(str(params.llm))
    labels = list(params.routes)
    menu = "\n".join(f"- {label}: {'; '.join(notes)}" for label, notes in params.routes.items())
    system = SystemMessage(
        "Classify the user's text into exactly one category. Categories:\n"
        f"{menu}\nAnswer with the category name only."
    )

    def choose(text: str, config: RunnableConfig) -> str:
        messages = [system, HumanMessage(text)]
        if hasattr(model, "choose"):
            return model.choose(messages, labels)
        reply = model.invoke(messages, config).text.lower()
        found = [label for label in labels if label.lower() in reply]
        return found[0] if found else (params.default or labels[0])

    return choose

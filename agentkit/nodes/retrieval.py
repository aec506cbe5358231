"""Resource kind `store` and node kind `retrieve`: search a document index from a graph."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from langchain_core.runnables import RunnableConfig
from pydantic import BaseModel, ConfigDict, Field

from agentkit.engine.context import NodeContext
from agentkit.engine.refs import Channel, Resource
from agentkit.engine.registry import NodeFunction, node_kind, resource_kind
from agentkit.rag.chunks import MetadataValue
from agentkit.rag.config import StoreConfig
from agentkit.rag.fusion import FusionConfig
from agentkit.text import text_of


@resource_kind("store", workspace_scoped=True)
def store(params: StoreConfig, workspace: Path) -> Any:
    """A document index: embedded (default, in the workspace) or Weaviate, with its embeddings."""
    from agentkit.rag.open import open_index

    return open_index(params, workspace)


class RetrieveParams(BaseModel):
    """Parameters of a `retrieve` node."""

    model_config = ConfigDict(extra="forbid")

    store: Resource("store") = Field(description="store resource to search")
    query: Channel | list[Channel] = Field(
        "question", description="channel with the query; a list: the first non-empty one")
    output: Channel = Field("documents", description="channel for the documents found")
    k: int = Field(5, ge=1, description="documents to return")
    mode: Literal["bm25", "dense", "hybrid"] = "hybrid"
    fusion: FusionConfig = Field(default_factory=FusionConfig)
    rerank: bool | str = Field(
        False, description="true: the offline default reranker; a string: CrossEncoder path or hub id")
    rerank_depth: int = Field(30, ge=1, description="first-stage candidates the reranker reorders")
    filters: dict[str, MetadataValue | list[MetadataValue]] = Field(
        default_factory=dict, description="metadata key (or doc_id/source) -> value or list of values")


def query_text(state: dict[str, Any], channels: str | list[str]) -> str:
    """The text of the first non-empty channel of `channels`."""
    for channel in [channels] if isinstance(channels, str) else channels:
        if text := text_of(state.get(channel)).strip():
            return text
    return ""


@node_kind("retrieve")
def retrieve_node(params: RetrieveParams, ctx: NodeContext) -> NodeFunction:
    """Search the store (bm25, dense or hybrid, optionally reranked) for the query."""
    index = ctx.resource(params.store)
    reranker = None
    if params.rerank:
        from agentkit.rag.rerank import make_reranker

        reranker = make_reranker(None if params.rerank is True else params.rerank)
    retriever = index.as_retriever(
        mode=params.mode, k=params.k, fusion=params.fusion, filters=params.filters or None,
        rerank=reranker, rerank_depth=params.rerank_depth,
    )

    def run(state: dict[str, Any], config: RunnableConfig) -> dict[str, Any]:
        query = query_text(state, params.query)
        return {params.output: retriever.invoke(query, config) if query else []}

    return run

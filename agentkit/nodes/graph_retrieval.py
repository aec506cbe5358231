"""Node kind `graph_retrieve`: search a store's knowledge graph (GraphRAG) from a graph.

`local` links the query's entities and ranks passages by personalized PageRank, `hybrid`
fuses those passages with the store's hybrid search, `global` map-reduces the community
reports with a chat model. The search runs as a LangChain retriever, so it is traced as a
RETRIEVER span with its documents; the linked entities (or why there were none) are
attributes of that span.
"""

from __future__ import annotations

from typing import Any, Callable, Literal

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import RunnableConfig
from pydantic import BaseModel, ConfigDict, Field

from agentkit.engine.context import NodeContext
from agentkit.engine.refs import Channel, Resource
from agentkit.engine.registry import NodeFunction, node_kind
from agentkit.errors import ConfigError
from agentkit.graphrag.global_search import GlobalAnswer, GlobalConfig, global_search
from agentkit.graphrag.local_search import GraphSearchResult, SearchConfig, open_searcher
from agentkit.nodes.retrieval import query_text
from agentkit.observability.attributes import set_run_span_attributes
from agentkit.rag.config import StoreConfig

Mode = Literal["local", "global", "hybrid"]


class GraphRetrieveParams(BaseModel):
    """Parameters of a `graph_retrieve` node."""

    model_config = ConfigDict(extra="forbid")

    store: Resource("store") = Field(description="store resource whose knowledge graph is searched "
                                     "(build it with `agentkit kg build --store NAME`)")
    mode: Mode = Field("hybrid", description="local: entity PPR; hybrid: local fused with the store's "
                       "hybrid search; global: map-reduce over community reports (needs llm)")
    query: Channel | list[Channel] = Field(
        "question", description="channel with the query; a list: the first non-empty one")
    output: Channel = Field("documents", description="channel for the passages (global: the partial answers)")
    context: Channel | None = Field("context", description="channel for the entity and relation context "
                                    "(global: the reports the answer rests on), with chunk ids")
    k: int = Field(5, ge=1, description="passages to return")
    llm: Resource("chat_model") | None = Field(None, description="global: the model that maps and reduces")
    answer: Channel | None = Field(None, description="global: channel for the combined answer and its sources")
    search: SearchConfig = Field(default_factory=SearchConfig)
    reports: GlobalConfig = Field(default_factory=GlobalConfig, description="global: reports read and combined")


def _check(params: GraphRetrieveParams, ctx: Any) -> Any:
    if params.mode == "global" and params.llm is None:
        yield ("llm",), "global graph search needs a chat model resource", \
            "add `llm: <name>` or use mode local or hybrid"
    if params.mode != "global" and params.answer is not None:
        yield ("answer",), f"`answer` is written by mode global only, not {params.mode}", \
            "remove `answer` or set `mode: global`"


class GraphRetriever(BaseRetriever):
    """One graph search as a LangChain retriever (a RETRIEVER span when traced)."""

    search: Callable[[str], GraphSearchResult | GlobalAnswer]
    on_result: Callable[[GraphSearchResult | GlobalAnswer], None]
    mode: str

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        result = self.search(query)
        self.on_result(result)
        attributes: dict[str, Any] = {"graphrag.mode": self.mode}
        if isinstance(result, GraphSearchResult):
            attributes["graphrag.linked_entities"] = [e.name for e in result.linked]
            attributes["graphrag.linked_scores"] = [e.score for e in result.linked]
            attributes["graphrag.fallback"] = result.fallback or ""
            documents = [hit.to_document() for hit in result.hits]
        else:
            attributes["graphrag.reports_read"] = result.read
            documents = [_point_document(p) for p in result.points]
        set_run_span_attributes(run_manager.run_id, attributes)
        return documents


def _point_document(point: Any) -> Document:
    return Document(id=f"community:{point.community}", page_content=point.answer,
                    metadata={"id": f"community:{point.community}", "source": f"community {point.community}",
                              "title": point.title, "score": point.score, "chunk_ids": list(point.chunk_ids)})


@node_kind("graph_retrieve", check=_check)
def graph_retrieve_node(params: GraphRetrieveParams, ctx: NodeContext) -> NodeFunction:
    """Search the store's knowledge graph: passages via linked entities and personalized PageRank
    (local), fused with hybrid search (hybrid), or a map-reduce answer over community reports (global)."""
    config = ctx.resources.params(params.store)
    if not isinstance(config, StoreConfig):
        raise ConfigError(f"node {ctx.node!r}: graph_retrieve needs the store {params.store!r} declared under "
                          "resources: (kind: store), to find its knowledge graph")
    index = ctx.resource(params.store)
    model = ctx.resource(params.llm) if params.mode == "global" and params.llm else None

    def run(state: dict[str, Any], run_config: RunnableConfig) -> dict[str, Any]:
        query = query_text(state, params.query)
        if not query:
            return {params.output: [], **({params.context: ""} if params.context else {})}
        kg, searcher = open_searcher(config, ctx.workspace, index, params.search)

        def search(text: str) -> GraphSearchResult | GlobalAnswer:
            if params.mode == "global":
                return global_search(text, kg.reports, model, params.reports, run_config)
            return searcher.local(text, params.k) if params.mode == "local" else searcher.hybrid(text, params.k)

        found: list[GraphSearchResult | GlobalAnswer] = []
        retriever = GraphRetriever(search=search, on_result=found.append, mode=params.mode,
                                   name=f"graph_retrieve[{params.mode}]")
        documents = retriever.invoke(query, run_config)
        result = found[0]
        update: dict[str, Any] = {params.output: documents}
        if isinstance(result, GlobalAnswer):
            if params.context:
                update[params.context] = result.sources()
            if params.answer:
                sources = result.sources()
                update[params.answer] = f"{result.answer}\n\nSources:\n{sources}" if sources else result.answer
        elif params.context:
            update[params.context] = result.context_text()
        return update

    return run

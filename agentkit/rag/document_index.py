"""A document index: a chunk store and the embeddings model that fills and queries it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Sequence

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.document_loaders import BaseLoader
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.retrievers import BaseRetriever
from langchain_core.tools import BaseTool, StructuredTool
from pydantic import ConfigDict

from agentkit.rag.chunking import Chunker, ChunkingConfig
from agentkit.rag.chunks import Hit
from agentkit.rag.fusion import FusionConfig
from agentkit.rag.indexing import EMBED_BATCH, IndexReport, Progress, apply_plan, plan_index, plan_sources
from agentkit.rag.langchain_loaders import documents_by_source, load_documents
from agentkit.rag.stores.base import ChunkStore, Filters, SearchMode
from agentkit.workspace import find_workspace

if TYPE_CHECKING:
    from agentkit.rag.rerank import Reranker


class DocumentIndex:
    """Index files (or what a LangChain loader loads) into a store and search it by text
    (the query is embedded here)."""

    def __init__(self, store: ChunkStore, embeddings: Embeddings):
        self.store = store
        self.embeddings = embeddings

    def index(
        self,
        paths: Sequence[Path],
        workspace: Path,
        chunking: ChunkingConfig = ChunkingConfig(),
        progress: Progress | None = None,
        on_plan: Any = None,
        batch_size: int = EMBED_BATCH,
    ) -> IndexReport:
        """Bring the store in line with the files under `paths` (see `agentkit.rag.indexing`).

        `on_plan(plan)` is called before embedding starts (e.g. to size a progress bar)."""
        plan = plan_index(paths, self.store, Chunker(chunking), workspace)
        if on_plan:
            on_plan(plan)
        return apply_plan(plan, self.store, self.embeddings, progress, batch_size)

    def index_documents(
        self,
        source: BaseLoader | Iterable[Document],
        workspace: Path | None = None,
        chunking: ChunkingConfig = ChunkingConfig(),
        progress: Progress | None = None,
        on_plan: Any = None,
        batch_size: int = EMBED_BATCH,
    ) -> IndexReport:
        """Index what a LangChain `BaseLoader` loads (or LangChain Documents), incrementally
        per `metadata["source"]` (see `agentkit.rag.langchain_loaders`); sources it does not
        yield are left as they are."""
        documents = load_documents(source) if isinstance(source, BaseLoader) else source
        sources = documents_by_source(documents, workspace or find_workspace())
        plan = plan_sources(sources, self.store, Chunker(chunking))
        if on_plan:
            on_plan(plan)
        return apply_plan(plan, self.store, self.embeddings, progress, batch_size)

    def search(
        self,
        query: str,
        *,
        mode: SearchMode = "hybrid",
        k: int = 10,
        filters: Filters | None = None,
        fusion: FusionConfig = FusionConfig(),
        rerank: "Reranker | None" = None,
        rerank_depth: int = 30,
    ) -> list[Hit]:
        """The best `k` chunks for `query`; with `rerank`, the reranker reorders the
        first stage's best `max(k, rerank_depth)`."""
        vector = None if mode == "bm25" else np.asarray(self.embeddings.embed_query(query), dtype=np.float32)
        depth = max(k, rerank_depth) if rerank else k
        hits = self.store.search(query, vector, mode=mode, k=depth, filters=filters, fusion=fusion)
        return rerank.rerank(query, hits, k) if rerank else hits

    def as_tool(self, name: str = "search_docs", description: str | None = None, **search: Any) -> BaseTool:
        """A LangChain tool for agents: `query` in, the best passages (with chunk ids) out."""
        retriever = self.as_retriever(**search)

        def run(query: str) -> str:
            return format_passages(query, retriever.invoke(query))

        return StructuredTool.from_function(
            run, name=name,
            description=description or "Search the indexed documents; returns passages with their chunk ids.",
        )

    def as_retriever(self, **search: Any) -> "IndexRetriever":
        """A LangChain retriever over this index (`search` takes `search`'s keywords)."""
        return IndexRetriever(index=self, search_kwargs=search)


def format_passages(query: str, documents: list[Document]) -> str:
    """Search results as text for a model: `[chunk id] source: text` per passage."""
    if not documents:
        return f"No indexed document matches {query!r}."
    return "\n\n".join(f"[{d.metadata['id']}] {d.metadata['source']}: {d.page_content}" for d in documents)


class IndexRetriever(BaseRetriever):
    """LangChain `BaseRetriever` over a DocumentIndex (works in any LCEL chain)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    index: DocumentIndex
    search_kwargs: dict[str, Any] = {}

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        return [hit.to_document() for hit in self.index.search(query, **self.search_kwargs)]

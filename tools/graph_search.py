"""`graph_search`: GraphRAG search over the workspace's document store, as a tool for agents.

Links the query's entities in the store's knowledge graph, ranks passages by personalized
PageRank from them (fused with hybrid search by default), and returns the passages with
their chunk ids, then the entities and relations that led to them. The store is
`$AGENTKIT_DOCS_STORE` (default `docs`); build its graph with `agentkit kg build --store docs`."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from langchain_core.tools import ToolException, tool
from pydantic import ValidationError

from agentkit.errors import AgentkitError
from agentkit.graphrag.local_search import open_searcher
from agentkit.rag.config import StoreConfig
from agentkit.rag.document_index import DocumentIndex, format_passages
from agentkit.rag.open import open_index
from agentkit.tooling import forgiving
from agentkit.workspace import find_workspace

STORE_ENV = "AGENTKIT_DOCS_STORE"


@lru_cache(maxsize=4)
def _index(name: str, workspace: str) -> tuple[StoreConfig, DocumentIndex]:
    try:
        config = StoreConfig(name=name)
    except ValidationError as exc:
        raise ToolException(f"${STORE_ENV} = {name!r} is not a store name: {exc.errors()[0]['msg']}; "
                            f"set it to the name given to `agentkit index --store`") from None
    return config, open_index(config, Path(workspace))


@tool
def graph_search(query: str, k: int = 4, mode: Literal["local", "hybrid"] = "hybrid") -> str:
    """Search the documents through their knowledge graph (entities named in the query, and
    the passages linked to them); returns passages with chunk ids, then the entities and
    relations that led there. Good for questions that need two documents at once."""
    workspace = find_workspace()
    try:
        config, index = _index(os.environ.get(STORE_ENV, "docs"), str(workspace))
        _, searcher = open_searcher(config, workspace, index)
        k = max(1, min(k, 20))
        result = searcher.local(query, k) if mode == "local" else searcher.hybrid(query, k)
    except AgentkitError as exc:
        raise ToolException(str(exc)) from None
    passages = format_passages(query, [hit.to_document() for hit in result.hits])
    if result.fallback:
        return f"{passages}\n\n({result.fallback})"
    context = result.context_text()
    return f"{passages}\n\nEntities and relations:\n{context}" if context else passages


forgiving(graph_search)

"""`search_docs`: hybrid search over the workspace's document store, as a tool for agents.

The store is `.agentkit/stores/docs` (or `$AGENTKIT_DOCS_STORE`); fill it with
`agentkit index PATH --store docs`."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from langchain_core.tools import tool

from agentkit.rag.config import StoreConfig
from agentkit.rag.document_index import DocumentIndex, format_passages
from agentkit.rag.open import open_index
from agentkit.workspace import find_workspace


@lru_cache(maxsize=4)
def _index(name: str, workspace: str) -> DocumentIndex:
    return open_index(StoreConfig(name=name), Path(workspace))


@tool
def search_docs(query: str, k: int = 4) -> str:
    """Search the indexed documents (BM25 + dense, fused) and return the best passages,
    each with its chunk id and source file."""
    index = _index(os.environ.get("AGENTKIT_DOCS_STORE", "docs"), str(find_workspace()))
    return format_passages(query, [hit.to_document() for hit in index.search(query, k=max(1, min(k, 20)))])

"""`search_docs`: hybrid search over the workspace's document store, as a tool for agents.

The store is `.agentkit/stores/docs` (or `$AGENTKIT_DOCS_STORE`); fill it with
`agentkit index PATH --store docs`."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from langchain_core.tools import ToolException, tool
from pydantic import ValidationError

from agentkit.errors import AgentkitError
from agentkit.rag.config import StoreConfig
from agentkit.rag.document_index import DocumentIndex, format_passages
from agentkit.rag.open import open_index
from agentkit.tooling import forgiving
from agentkit.workspace import find_workspace


STORE_ENV = "AGENTKIT_DOCS_STORE"


@lru_cache(maxsize=4)
def _index(name: str, workspace: str) -> DocumentIndex:
    try:
        config = StoreConfig(name=name)
    except ValidationError as exc:
        raise ToolException(f"${STORE_ENV} = {name!r} is not a store name: {exc.errors()[0]['msg']}; "
                            f"set it to the name given to `agentkit index --store`") from None
    return open_index(config, Path(workspace))


@tool
def search_docs(query: str, k: int = 4) -> str:
    """Search the indexed documents (BM25 + dense, fused) and return the best passages,
    each with its chunk id and source file."""
    try:
        index = _index(os.environ.get(STORE_ENV, "docs"), str(find_workspace()))
        hits = index.search(query, k=max(1, min(k, 20)))
    except AgentkitError as exc:
        raise ToolException(str(exc)) from None
    return format_passages(query, [hit.to_document() for hit in hits])


forgiving(search_docs)

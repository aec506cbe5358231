"""Opening a store from its config (the `store` resource kind and `agentkit index` use this)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from agentkit.rag.config import StoreConfig
from agentkit.rag.document_index import DocumentIndex
from agentkit.rag.stores.base import ChunkStore


def open_chunk_store(config: StoreConfig, workspace: Path | None = None) -> ChunkStore:
    """The backend `config` names (the embedded store's folder is created on demand)."""
    if config.backend == "weaviate":
        from agentkit.rag.stores.weaviate import WeaviateStore

        return WeaviateStore(config.weaviate_config())
    from agentkit.rag.stores.embedded import EmbeddedStore

    return EmbeddedStore(config.folder(workspace))


def open_index(config: StoreConfig, workspace: Path | None = None) -> DocumentIndex:
    """The store with the embeddings model it is filled and queried with."""
    from agentkit.models import get_embeddings

    return DocumentIndex(open_chunk_store(config, workspace), get_embeddings(config.embeddings))


@contextmanager
def filling(config: StoreConfig, workspace: Path | None = None) -> Iterator[DocumentIndex]:
    """`open_index` for a run that fills the store, closed at the end. An embedded store
    the run created and left without a chunk (every file failed or had no text) is removed
    again, so a failed first `agentkit index` leaves nothing behind."""
    folder = config.folder(workspace) if config.backend == "embedded" else None
    created = folder is not None and not folder.exists()
    index = open_index(config, workspace)
    try:
        yield index
    finally:
        empty = created and index.store.count() == 0
        index.store.close()
        if empty:
            shutil.rmtree(folder)

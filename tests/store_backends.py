"""The chunk-store backends the contract suite runs on, and throwaway Weaviate stores for it.

"weaviate" joins "embedded" when WEAVIATE_URL names a server (key, if any, in WEAVIATE_API_KEY)."""

from __future__ import annotations

import os
import re
import uuid

from agentkit.rag.stores.weaviate import URL_ENV, WeaviateConfig, WeaviateStore


def store_backends() -> list[str]:
    """["embedded"], plus "weaviate" when WEAVIATE_URL is set."""
    return ["embedded", "weaviate"] if os.environ.get(URL_ENV) else ["embedded"]


def make_weaviate_store(tmp_name: str) -> WeaviateStore:
    """A store on a new collection named after `tmp_name` plus a random suffix; the caller
    removes it with `drop_weaviate_collection`."""
    stem = re.sub(r"[^_0-9A-Za-z]+", "_", tmp_name).strip("_")[:40]
    collection = f"Test_{stem}_{uuid.uuid4().hex[:8]}"
    return WeaviateStore(WeaviateConfig(url=os.environ[URL_ENV], collection=collection, timeout_s=10))


def drop_weaviate_collection(store: WeaviateStore) -> None:
    """Delete the store's collection and close its connection."""
    try:
        store.drop()
    finally:
        store.close()

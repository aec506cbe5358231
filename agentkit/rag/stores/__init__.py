"""Chunk stores behind one interface: the embedded default and Weaviate."""

from agentkit.rag.stores.base import ChunkStore, Filters, SearchMode, matches

__all__ = ["ChunkStore", "Filters", "SearchMode", "matches"]

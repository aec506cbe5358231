"""The interface every chunk store implements (vectors come in computed)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Iterable, Literal, Mapping, Sequence

import numpy as np

from agentkit.rag.chunks import Chunk, Hit, MetadataValue
from agentkit.rag.fusion import FusionConfig

SearchMode = Literal["bm25", "dense", "hybrid"]
Filters = Mapping[str, MetadataValue | Sequence[MetadataValue]]
FILTERABLE_FIELDS = ("doc_id", "source")


def matches(chunk: Chunk, filters: Filters | None) -> bool:
    """True when every filter key equals (or, for a list, is one of) the chunk's value.

    Keys are metadata keys, or `doc_id` / `source`."""
    for key, wanted in (filters or {}).items():
        value = getattr(chunk, key) if key in FILTERABLE_FIELDS else chunk.metadata.get(key)
        allowed = wanted if isinstance(wanted, (list, tuple, set)) else [wanted]
        if value not in allowed:
            return False
    return True


class ChunkStore(ABC):
    """Persistent chunks with their vectors, searchable by BM25, vector, or both."""

    @abstractmethod
    def upsert(self, chunks: Sequence[Chunk], vectors: np.ndarray) -> None:
        """Add or replace chunks (by id) with their unit-length vectors, atomically."""

    @abstractmethod
    def delete(self, ids: Iterable[str]) -> None:
        """Remove chunks by id (unknown ids are ignored)."""

    @abstractmethod
    def get(self, ids: Sequence[str]) -> list[Chunk]:
        """The chunks with these ids that exist, in the given order."""

    @abstractmethod
    def ids_by_source(self) -> dict[str, set[str]]:
        """Chunk ids grouped by the file they came from (what incremental indexing diffs)."""

    @abstractmethod
    def count(self) -> int:
        """How many chunks are stored."""

    @abstractmethod
    def search(
        self,
        query: str,
        vector: np.ndarray | None,
        *,
        mode: SearchMode = "hybrid",
        k: int = 10,
        filters: Filters | None = None,
        fusion: FusionConfig = FusionConfig(),
    ) -> list[Hit]:
        """The best `k` chunks for the query text (bm25) and/or its vector (dense)."""

    def close(self) -> None:  # noqa: B027 - optional for stores without connections
        """Release connections and files."""

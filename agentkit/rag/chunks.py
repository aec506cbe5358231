"""Chunks (the unit a store holds) and hits (a chunk found by a search)."""

from __future__ import annotations

import hashlib

from langchain_core.documents import Document
from pydantic import BaseModel, ConfigDict, Field

MetadataValue = str | int | float | bool


class Chunk(BaseModel):
    """A piece of a source document; `id` is a hash of where it comes from and its text."""

    model_config = ConfigDict(frozen=True)

    id: str
    text: str
    doc_id: str = Field(description="the document: BEIR `_id`, or the file path")
    source: str = Field(description="the file the chunk was read from")
    title: str = ""
    metadata: dict[str, MetadataValue] = Field(default_factory=dict)

    @property
    def content(self) -> str:
        """What is embedded and matched: the title (when there is one) and the text."""
        return f"{self.title}\n{self.text}" if self.title else self.text


def chunk_id(doc_id: str, text: str) -> str:
    """Content hash naming a chunk: the same text of the same document keeps its id."""
    return hashlib.sha256(f"{doc_id}\x00{text}".encode()).hexdigest()[:20]


class Hit(BaseModel):
    """A chunk with the score a search gave it (and the per-stage scores behind it)."""

    model_config = ConfigDict(frozen=True)

    chunk: Chunk
    score: float
    scores: dict[str, float] = Field(default_factory=dict)

    def to_document(self) -> Document:
        """The hit as a LangChain Document (metadata: id, doc_id, source, title, score...)."""
        c = self.chunk
        return Document(
            id=c.id,
            page_content=c.text,
            metadata={**c.metadata, "id": c.id, "doc_id": c.doc_id, "source": c.source,
                      "title": c.title, "score": self.score, **{f"score_{k}": v for k, v in self.scores.items()}},
        )

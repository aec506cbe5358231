"""What an extractor finds in one chunk, and the graph's node and edge ids."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field

from agentkit.rag.chunks import Chunk

ENTITY = "e:"
CHUNK = "c:"


def entity_node(key: str) -> str:
    """The graph node id of the entity with normalised name `key`."""
    return ENTITY + key


def chunk_node(chunk_id: str) -> str:
    """The graph node id of a chunk (passage)."""
    return CHUNK + chunk_id


class EntityMention(BaseModel):
    """An entity named in a chunk, as the extractor saw it."""

    model_config = ConfigDict(frozen=True)

    name: str = Field(min_length=1, description="surface form, e.g. 'Ada Lovelace'")
    type: str = Field("concept", description="person, organization, place, work, event, date, concept...")
    description: str = ""
    count: int = Field(1, ge=1, description="times the chunk names it")
    title: bool = Field(False, description="the entity is the chunk's document title")


class RelationMention(BaseModel):
    """A relation the chunk states (or implies, for co-occurrence) between two of its entities."""

    model_config = ConfigDict(frozen=True)

    source: str = Field(min_length=1, description="surface form of one entity of the chunk")
    target: str = Field(min_length=1, description="surface form of another entity of the chunk")
    description: str = ""
    weight: float = Field(1.0, gt=0, description="how strongly the chunk ties them")


class ChunkExtraction(BaseModel):
    """Everything one extractor found in one chunk (the unit that is persisted and cached)."""

    chunk_id: str
    doc_id: str
    title: str = ""
    entities: list[EntityMention] = Field(default_factory=list)
    relations: list[RelationMention] = Field(default_factory=list)
    tokens: int = Field(0, ge=0, description="LLM tokens spent (prompt + completion); 0 for lexical")


OnDone = Callable[[int], None]


class Extractor(Protocol):
    """Turns chunks into extractions; `name`/`version` are stored with the graph so that a
    graph built by another extractor (or an older version of it) is rebuilt, never mixed."""

    name: str
    version: str

    def extract(self, chunks: Sequence[Chunk], on_done: OnDone | None = None) -> list[ChunkExtraction]:
        """One extraction per chunk, in order; `on_done(n)` after each n chunks."""
        ...

"""One contract every chunk store keeps: the embedded store always, Weaviate when
WEAVIATE_URL names a server (see README, "Stores")."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
import pytest

from agentkit.rag.chunks import Chunk, chunk_id
from agentkit.rag.fusion import FusionConfig
from agentkit.rag.stores.base import ChunkStore
from agentkit.rag.stores.embedded import EmbeddedStore
from store_backends import drop_weaviate_collection, make_weaviate_store, store_backends

DIM = 16
TEXTS = {
    "rockets": "The Ariane rocket launches satellites from Kourou in French Guiana.",
    "bananas": "Bananas are a yellow fruit rich in potassium.",
    "cats": "Cats sleep for sixteen hours a day and purr when content.",
    "python": "Python is a programming language with dynamic typing.",
    "tea": "Green tea is brewed at eighty degrees for two minutes.",
}


def topic_vector(topic: str) -> np.ndarray:
    """A fixed unit vector per topic (so dense search has a known answer)."""
    seed = int(hashlib.sha256(topic.encode()).hexdigest()[:8], 16)
    vector = np.random.default_rng(seed).normal(size=DIM).astype(np.float32)
    return vector / np.linalg.norm(vector)


def make_chunk(topic: str, source: str = "docs/a.md", **metadata: str | int) -> Chunk:
    text = TEXTS[topic]
    return Chunk(id=chunk_id(topic, text), text=text, doc_id=topic, source=source,
                 title=topic.capitalize(), metadata={"topic": topic, **metadata})


def fill(store: ChunkStore, topics: list[str] | None = None) -> list[Chunk]:
    chunks = [make_chunk(t, source=f"docs/{i % 2}.md", lang="en", year=2020 + i)
              for i, t in enumerate(topics or list(TEXTS))]
    store.upsert(chunks, np.stack([topic_vector(c.doc_id) for c in chunks]))
    return chunks


@pytest.fixture(params=store_backends())
def open_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], ChunkStore]]:
    """Opens the backend's store at one location; every opened store is closed afterwards."""
    opened: list[ChunkStore] = []
    if request.param == "embedded":
        def opener() -> ChunkStore:
            opened.append(EmbeddedStore(tmp_path / "store"))
            return opened[-1]
        yield opener
        for store in opened:
            store.close()
    else:
        first = make_weaviate_store(request.node.name)

        def opener() -> ChunkStore:
            if not opened:
                opened.append(first)
                return first
            from agentkit.rag.stores.weaviate import WeaviateStore

            opened.append(WeaviateStore(first.config))
            return opened[-1]
        yield opener
        for store in opened[1:]:
            store.close()
        drop_weaviate_collection(first)


@pytest.fixture
def store(open_store: Callable[[], ChunkStore]) -> ChunkStore:
    return open_store()


def test_empty_store_counts_zero_and_finds_nothing(store: ChunkStore) -> None:
    assert store.count() == 0
    assert store.ids_by_source() == {}
    assert store.search("rocket", topic_vector("rockets"), mode="hybrid", k=5) == []


def test_upsert_then_get_in_the_asked_order(store: ChunkStore) -> None:
    chunks = fill(store)
    wanted = [chunks[3].id, "missing", chunks[0].id]
    assert [c.id for c in store.get(wanted)] == [chunks[3].id, chunks[0].id]
    assert store.get([chunks[2].id]) == [chunks[2]]
    assert store.count() == len(TEXTS)


def test_upsert_of_an_existing_id_replaces_it(store: ChunkStore) -> None:
    chunks = fill(store)
    changed = chunks[1].model_copy(update={"metadata": {"topic": "bananas", "lang": "de"}})
    store.upsert([changed], np.stack([topic_vector("bananas")]))
    assert store.count() == len(TEXTS)
    assert store.get([changed.id])[0].metadata["lang"] == "de"


def test_delete_removes_and_ignores_unknown_ids(store: ChunkStore) -> None:
    chunks = fill(store)
    store.delete([chunks[0].id, "not-there"])
    assert store.count() == len(TEXTS) - 1
    assert store.get([chunks[0].id]) == []
    assert all(h.chunk.id != chunks[0].id for h in store.search("Ariane rocket", None, mode="bm25"))


def test_ids_by_source_groups_chunks_by_file(store: ChunkStore) -> None:
    chunks = fill(store)
    grouped = store.ids_by_source()
    assert set(grouped) == {"docs/0.md", "docs/1.md"}
    assert grouped["docs/0.md"] == {c.id for c in chunks if c.source == "docs/0.md"}


def test_bm25_ranks_the_lexical_match_first_and_only_matches(store: ChunkStore) -> None:
    fill(store)
    hits = store.search("potassium fruit", None, mode="bm25", k=5)
    assert [h.chunk.doc_id for h in hits] == ["bananas"]
    assert hits[0].score > 0 and "bm25" in hits[0].scores


def test_dense_ranks_by_vector_similarity(store: ChunkStore) -> None:
    fill(store)
    hits = store.search("anything", topic_vector("cats"), mode="dense", k=3)
    assert hits[0].chunk.doc_id == "cats"
    assert len(hits) == 3
    assert hits[0].score >= hits[1].score >= hits[2].score


@pytest.mark.parametrize("fusion", [FusionConfig(method="rrf", rrf_k=10), FusionConfig(method="weighted", alpha=0.5)])
def test_hybrid_finds_what_either_side_finds(store: ChunkStore, fusion: FusionConfig) -> None:
    fill(store)
    hits = store.search("green tea brewing", topic_vector("python"), mode="hybrid", k=5, fusion=fusion)
    top2 = {h.chunk.doc_id for h in hits[:2]}
    assert top2 == {"tea", "python"}
    assert all(a.score >= b.score for a, b in zip(hits, hits[1:]))


def test_k_larger_than_the_store_returns_everything_once(store: ChunkStore) -> None:
    fill(store)
    hits = store.search("x", topic_vector("tea"), mode="dense", k=50)
    assert len(hits) == len(TEXTS) == len({h.chunk.id for h in hits})


@pytest.mark.parametrize("mode", ["bm25", "dense", "hybrid"])
def test_filters_restrict_every_mode(store: ChunkStore, mode: str) -> None:
    fill(store)
    query, vector = "Ariane rocket satellites cats bananas", topic_vector("rockets")
    only_cats = store.search(query, vector, mode=mode, k=5, filters={"topic": "cats"})
    assert [h.chunk.doc_id for h in only_cats] == ["cats"]
    listed = store.search(query, vector, mode=mode, k=5, filters={"doc_id": ["cats", "tea"]})
    assert {h.chunk.doc_id for h in listed} <= {"cats", "tea"} and listed
    by_source = store.search(query, vector, mode=mode, k=5, filters={"source": "docs/1.md", "lang": "en"})
    assert {h.chunk.source for h in by_source} == {"docs/1.md"}
    assert store.search(query, vector, mode=mode, k=5, filters={"topic": "nothing"}) == []


def test_data_survives_reopening(open_store: Callable[[], ChunkStore]) -> None:
    first = open_store()
    chunks = fill(first)
    first.delete([chunks[4].id])
    again = open_store()
    assert again.count() == len(TEXTS) - 1
    assert again.get([chunks[0].id]) == [chunks[0]]
    assert again.search("Kourou", None, mode="bm25", k=1)[0].chunk.doc_id == "rockets"


def test_a_write_is_seen_by_another_open_store(open_store: Callable[[], ChunkStore]) -> None:
    reader, writer = open_store(), open_store()
    fill(reader, ["cats"])
    assert reader.search("purr", None, mode="bm25", k=3)[0].chunk.doc_id == "cats"
    fill(writer, ["tea"])
    assert [h.chunk.doc_id for h in reader.search("green tea", None, mode="bm25", k=3)] == ["tea"]

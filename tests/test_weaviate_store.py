"""The Weaviate store without a server: config, filters, ids, request building, errors."""

from __future__ import annotations

import socket
import time
import uuid
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
import weaviate
from pydantic import ValidationError
from weaviate.classes.query import HybridFusion
from weaviate.connect import ConnectionParams
from weaviate.exceptions import WeaviateClosedClientError
from weaviate.util import generate_uuid5

from agentkit.errors import ConfigError
from agentkit.rag.chunks import Chunk
from agentkit.rag.fusion import FusionConfig
from agentkit.rag.stores.weaviate import (
    WeaviateConfig,
    WeaviateStore,
    _ensure_collection,
    chunk_from,
    chunk_properties,
    chunk_uuid,
    translate_filters,
)

CHUNK = Chunk(id="c1", text="body", doc_id="d1", source="a.md", title="Title", metadata={"lang": "en", "page": 2})


def shape(f: Any) -> Any:
    """A filter as plain data: (target, operator, value) leaves under (operator, [...]) nodes."""
    if hasattr(f, "filters"):
        return (f.operator.value, [shape(part) for part in f.filters])
    return (f.target, f.operator.value, f.value)


@pytest.mark.parametrize(
    ("url", "host", "port", "secure"),
    [
        ("http://localhost:8080", "localhost", 8080, False),
        ("https://weaviate.example.org/", "weaviate.example.org", 443, True),
        ("http://10.0.0.5", "10.0.0.5", 80, False),
    ],
)
def test_url_gives_host_port_and_tls(url: str, host: str, port: int, secure: bool) -> None:
    config = WeaviateConfig(url=url, collection="Docs")
    assert (config.host, config.port, config.secure, config.grpc_port) == (host, port, secure, 50051)
    assert not config.url.endswith("/")


@pytest.mark.parametrize("url", ["localhost:8080", "ftp://host", "http://host:8080/v1", "http://host:99999"])
def test_bad_url_is_refused(url: str) -> None:
    with pytest.raises(ValidationError, match="url"):
        WeaviateConfig(url=url, collection="Docs")


def test_url_defaults_to_env_and_cloud_is_recognized(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEAVIATE_URL", "http://weaviate:8080")
    assert WeaviateConfig(collection="Docs").url == "http://weaviate:8080"
    assert WeaviateConfig(url="https://abc.c0.europe-west3.gcp.weaviate.cloud", collection="Docs").is_cloud
    with pytest.raises(ValidationError, match="extra"):
        WeaviateConfig(collection="Docs", api_key="secret")


def test_api_key_is_read_from_env_and_never_stored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WEAVIATE_API_KEY", raising=False)
    config = WeaviateConfig(url="http://localhost:8080", collection="Docs")
    assert config.api_key() is None
    monkeypatch.setenv("WEAVIATE_API_KEY", "s3cret")
    assert config.api_key() == "s3cret"
    assert "s3cret" not in repr(config) and "s3cret" not in config.model_dump_json()
    monkeypatch.setenv("MY_KEY", "other")
    assert WeaviateConfig(url="http://localhost:8080", collection="Docs", api_key_env="MY_KEY").api_key() == "other"


def test_cloud_without_key_says_which_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WEAVIATE_API_KEY", raising=False)
    store = WeaviateStore(WeaviateConfig(url="https://abc.weaviate.cloud", collection="Docs"))
    with pytest.raises(ConfigError, match="WEAVIATE_API_KEY is not set"):
        store.count()


@pytest.mark.parametrize(("name", "normalized"), [("Docs", "Docs"), ("docs", "Docs"), ("my_docs_v2", "My_docs_v2")])
def test_collection_name_is_capitalized(name: str, normalized: str) -> None:
    assert WeaviateConfig(url="http://localhost:8080", collection=name).collection == normalized


@pytest.mark.parametrize(("name", "fix"), [("my-docs", "My_docs"), ("2024 docs", "Docs_2024_docs"), ("", "Docs")])
def test_bad_collection_name_says_how_to_fix(name: str, fix: str) -> None:
    with pytest.raises(ValidationError, match=f"use e.g. '{fix}'"):
        WeaviateConfig(url="http://localhost:8080", collection=name)


def test_filters_translate_to_weaviate_filters() -> None:
    assert translate_filters({}) is None
    assert shape(translate_filters({"doc_id": "d1"})) == ("doc_id", "Equal", "d1")
    assert shape(translate_filters({"source": ["a.md", "b.md"]})) == ("source", "ContainsAny", ["a.md", "b.md"])
    assert shape(translate_filters({"lang": "en", "page": [2.0, 3]})) == (
        "And",
        [("meta", "ContainsAny", ['["lang", "en"]']), ("meta", "ContainsAny", ['["page", 2]', '["page", 3]'])],
    )
    assert shape(translate_filters({"draft": True})) == ("meta", "ContainsAny", ['["draft", true]'])


def test_stored_metadata_pairs_match_the_filter_values() -> None:
    stored = set(chunk_properties(CHUNK)["meta"])
    for key, value in CHUNK.metadata.items():
        assert set(shape(translate_filters({key: value}))[2]) <= stored
    assert chunk_properties(CHUNK)["content"] == "Title\nbody"
    assert chunk_from(chunk_properties(CHUNK)) == CHUNK


def test_object_uuid_is_deterministic() -> None:
    assert chunk_uuid("c1") == chunk_uuid("c1") == generate_uuid5("c1")
    assert chunk_uuid("c1") != chunk_uuid("c2")
    assert uuid.UUID(chunk_uuid("c1")).version == 5


def test_unreachable_server_fails_fast_with_a_fix() -> None:
    with socket.socket() as probe:  # a free port: bound, then released, so nothing listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    store = WeaviateStore(WeaviateConfig(url=f"http://127.0.0.1:{port}", collection="Docs", timeout_s=2))
    start = time.monotonic()
    with pytest.raises(ConfigError, match=rf"could not reach Weaviate at http://127.0.0.1:{port}.*docker run") as err:
        store.count()
    assert "-p 50051:50051" in str(err.value) and "WEAVIATE_URL" in str(err.value)
    assert time.monotonic() - start < 10
    store.close()


def offline_store() -> WeaviateStore:
    """A store on a never-connected client: requests are built and validated, then refused."""
    client = weaviate.WeaviateClient(ConnectionParams.from_url("http://127.0.0.1:1", 2), skip_init_checks=True)
    store = WeaviateStore(WeaviateConfig(url="http://127.0.0.1:1", collection="Docs"))
    store._collection = client.collections.use("Docs")
    return store


@pytest.mark.parametrize(
    "call",
    [
        lambda s: s.search("q", None, mode="bm25", filters={"lang": "en"}),
        lambda s: s.search("q", np.ones(4), mode="dense", filters={"doc_id": ["d1", "d2"]}),
        lambda s: s.search("q", np.ones(4), filters={"source": "a.md", "page": 2}),
        lambda s: s.search("q", np.ones(4), fusion=FusionConfig(method="weighted", alpha=0.3)),
        lambda s: s.get(["c1", "c2"]),
        lambda s: s.delete(["c1"]),
        lambda s: s.count(),
        lambda s: s.ids_by_source(),
    ],
)
def test_requests_pass_the_clients_validation(call: Any) -> None:
    with pytest.raises(WeaviateClosedClientError):  # not a TypeError or WeaviateInvalidInputError
        call(offline_store())


class StubQuery:
    """Records query calls and answers each method with the objects given for it."""

    def __init__(self, **objects: list[Any]) -> None:
        self.objects = objects
        self.calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []

    def __getattr__(self, method: str) -> Any:
        def call(*args: Any, **kwargs: Any) -> SimpleNamespace:
            self.calls.append((method, args, kwargs))
            return SimpleNamespace(objects=self.objects.get(method, []))

        return call


def stub_store(query: StubQuery) -> WeaviateStore:
    store = WeaviateStore(WeaviateConfig(url="http://127.0.0.1:1", collection="Docs"))
    store._collection = SimpleNamespace(query=query)  # type: ignore[assignment]
    return store


def found(**metadata: float) -> SimpleNamespace:
    return SimpleNamespace(properties=chunk_properties(CHUNK), metadata=SimpleNamespace(**metadata))


@pytest.mark.parametrize(
    ("fusion", "alpha", "fusion_type"),
    [(FusionConfig(), 0.5, HybridFusion.RANKED), (FusionConfig(method="weighted", alpha=0.8), 0.8, HybridFusion.RELATIVE_SCORE)],
)
def test_hybrid_maps_fusion_and_scores(fusion: FusionConfig, alpha: float, fusion_type: HybridFusion) -> None:
    query = StubQuery(hybrid=[found(score=0.7, distance=None)])
    [hit] = stub_store(query).search("body", np.ones(4, dtype=np.float32), k=3, fusion=fusion)
    assert (hit.chunk, hit.score, hit.scores) == (CHUNK, 0.7, {"hybrid": 0.7})
    [(method, _, kwargs)] = query.calls
    assert (method, kwargs["alpha"], kwargs["fusion_type"], kwargs["limit"]) == ("hybrid", alpha, fusion_type, 3)
    assert kwargs["query_properties"] == ["content"] and kwargs["vector"] == [1.0] * 4


def test_dense_score_is_one_minus_distance() -> None:
    [hit] = stub_store(StubQuery(near_vector=[found(score=None, distance=0.25)])).search("q", np.ones(4), mode="dense")
    assert (hit.score, hit.scores) == (0.75, {"dense": 0.75})


def test_unknown_filter_key_is_an_error_but_an_unmatched_value_is_not() -> None:
    with pytest.raises(ConfigError, match="unknown filter key 'lnag'"):
        stub_store(StubQuery()).search("q", None, mode="bm25", filters={"lnag": "en"})
    known = StubQuery(fetch_objects=[found()])
    assert stub_store(known).search("q", None, mode="bm25", filters={"lang": "xx", "doc_id": "d9"}) == []
    assert [call[0] for call in known.calls] == ["bm25", "fetch_objects"]


def test_dense_needs_a_vector_and_empty_choices_match_nothing() -> None:
    store = stub_store(StubQuery())
    with pytest.raises(ValueError, match="needs the query vector"):
        store.search("q", None, mode="dense")
    assert store.search("q", None, mode="bm25", filters={"lang": []}) == []


def test_collection_is_created_with_the_schema_or_must_match_it(monkeypatch: pytest.MonkeyPatch) -> None:
    client = weaviate.WeaviateClient(ConnectionParams.from_url("http://127.0.0.1:1", 2), skip_init_checks=True)
    monkeypatch.setattr(client.collections, "exists", lambda name: False)
    with pytest.raises(WeaviateClosedClientError):  # the create request passed the client's validation
        _ensure_collection(client, "Docs")
    other = SimpleNamespace(properties=[SimpleNamespace(name="text")], vector_config=None)
    foreign = SimpleNamespace(
        exists=lambda name: True, use=lambda name: SimpleNamespace(config=SimpleNamespace(get=lambda: other))
    )
    with pytest.raises(ConfigError, match="'Docs' exists but was not made by agentkit .*content.*vector 'default'"):
        _ensure_collection(SimpleNamespace(collections=foreign), "Docs")  # type: ignore[arg-type]

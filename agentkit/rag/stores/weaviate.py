"""The Weaviate chunk store (weaviate-client v4): BM25, vector and hybrid search on a server.

Schema (fixed, created on first use; no auto-schema): `content` (title + text) is the only
BM25-indexed property; `doc_id` and `source` are exact-match filterable; `text`, `title`,
`chunk_id` and `metadata_json` (the metadata, returned as stored) are not indexed. Metadata is
filterable through `meta`, a text array of `["key", value]` JSON pairs matched exactly (field
tokenization), so any key and any value type work without one property per key and without
type clashes between documents; `meta_keys` lists the keys, to tell an unknown filter key from
one whose values match nothing. Vectors are self-provided, in the named vector `default`
(cosine HNSW).
"""

from __future__ import annotations

import json
import os
import re
import threading
from typing import Any, Iterable, Iterator, Mapping, Sequence
from urllib.parse import urlparse

import numpy as np
import weaviate
from pydantic import BaseModel, ConfigDict, Field, field_validator
from weaviate.classes.config import Configure, DataType, Property, Tokenization, VectorDistances
from weaviate.classes.init import AdditionalConfig, Auth, Timeout
from weaviate.classes.query import Filter, FilterReturn, HybridFusion, MetadataQuery
from weaviate.collections import Collection
from weaviate.exceptions import (
    AuthenticationFailedError,
    UnexpectedStatusCodeError,
    WeaviateConnectionError,
    WeaviateGRPCUnavailableError,
    WeaviateStartUpError,
    WeaviateTimeoutError,
)
from weaviate.util import generate_uuid5

from agentkit.errors import ConfigError, suggest
from agentkit.rag.chunks import Chunk, Hit, MetadataValue
from agentkit.rag.fusion import FusionConfig
from agentkit.rag.stores.base import FILTERABLE_FIELDS, ChunkStore, Filters, SearchMode

URL_ENV = "WEAVIATE_URL"
DOCKER_RUN = "docker run -p 8080:8080 -p 50051:50051 cr.weaviate.io/semitechnologies/weaviate:1.32.0"
CLOUD_DOMAINS = (".weaviate.cloud", ".weaviate.network")
COLLECTION_NAME = re.compile(r"[A-Z][_0-9A-Za-z]{0,254}")
VECTOR = "default"
RETURNED = ["chunk_id", "text", "doc_id", "source", "title", "metadata_json"]
GROUP = 500  # ids per get / delete request (well under Weaviate's 10,000 result cap)


class WeaviateConfig(BaseModel):
    """Where the Weaviate server is and which collection holds the chunks (no secrets)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str = Field(
        default_factory=lambda: os.environ.get(URL_ENV, "http://localhost:8080"),
        description=f"REST endpoint: http://localhost:8080, https://<cluster>.weaviate.cloud... (default ${URL_ENV})",
    )
    grpc_port: int = Field(50051, ge=1, le=65535, description="gRPC port on the same host (Weaviate Cloud: 443)")
    api_key_env: str = Field("WEAVIATE_API_KEY", description="environment variable holding the API key, if any")
    collection: str = Field(description="collection (class) name, e.g. Docs")
    timeout_s: float = Field(30.0, gt=0, description="seconds to wait when connecting, querying and inserting")

    @field_validator("url")
    @classmethod
    def _check_url(cls, url: str) -> str:
        parts = urlparse(url.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{url!r} is not an http(s) URL; write it like http://localhost:8080")
        if parts.path.strip("/") or parts.query:
            raise ValueError(f"{url!r} has a path; give only scheme, host and port, like http://localhost:8080")
        parts.port  # noqa: B018 - raises ValueError for a port out of range
        return url.strip().rstrip("/")

    @field_validator("collection")
    @classmethod
    def _check_collection(cls, name: str) -> str:
        name = name[:1].upper() + name[1:]
        if COLLECTION_NAME.fullmatch(name):
            return name
        fixed = re.sub(r"[^_0-9A-Za-z]+", "_", name).strip("_")
        fixed = fixed[:1].upper() + fixed[1:] if fixed[:1].isalpha() else f"Docs_{fixed}".rstrip("_")
        raise ValueError(
            f"{name!r} is not a Weaviate collection name: it must start with a letter and hold only "
            f"ASCII letters, digits and underscores (at most 255); use e.g. {fixed!r}"
        )

    @property
    def secure(self) -> bool:
        """True for https (TLS on both REST and gRPC)."""
        return urlparse(self.url).scheme == "https"

    @property
    def host(self) -> str:
        """The server's host name (REST and gRPC)."""
        return urlparse(self.url).hostname or ""

    @property
    def port(self) -> int:
        """The REST port: the URL's, else 443 (https) or 80 (http)."""
        return urlparse(self.url).port or (443 if self.secure else 80)

    @property
    def is_cloud(self) -> bool:
        """True for a Weaviate Cloud cluster (gRPC at grpc-<host>:443, API key required)."""
        return self.host.endswith(CLOUD_DOMAINS)

    def api_key(self) -> str | None:
        """The API key from `api_key_env`, read when connecting (None when unset)."""
        return os.environ.get(self.api_key_env) or None


def chunk_uuid(chunk_id: str) -> str:
    """The Weaviate object id of a chunk: a UUIDv5 of its id, so upserting replaces it."""
    return generate_uuid5(chunk_id)


def meta_pair(key: str, value: MetadataValue) -> str:
    """How `key: value` is stored in (and matched against) `meta`: `["key", value]` as JSON.

    Integral floats are written as ints, so 2.0 matches 2 as it does in Python."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return json.dumps([key, value])


def _values(wanted: MetadataValue | Sequence[MetadataValue]) -> list[MetadataValue]:
    return list(wanted) if isinstance(wanted, (list, tuple, set)) else [wanted]


def translate_filters(filters: Filters) -> FilterReturn | None:
    """The Weaviate filter for `filters`: every key must hold; a list means any of its values."""
    parts: list[FilterReturn] = []
    for key, wanted in filters.items():
        values = _values(wanted)
        if key in FILTERABLE_FIELDS:
            texts = [str(v) for v in values]
            field = Filter.by_property(key)
            is_list = isinstance(wanted, (list, tuple, set))
            parts.append(field.contains_any(texts) if is_list else field.equal(texts[0]))
        else:
            parts.append(Filter.by_property("meta").contains_any([meta_pair(key, v) for v in values]))
    return Filter.all_of(parts) if parts else None


def chunk_properties(chunk: Chunk) -> dict[str, Any]:
    """The Weaviate properties of a chunk."""
    return {
        "chunk_id": chunk.id,
        "text": chunk.text,
        "content": chunk.content,
        "doc_id": chunk.doc_id,
        "source": chunk.source,
        "title": chunk.title,
        "metadata_json": json.dumps(chunk.metadata),
        "meta": [meta_pair(k, v) for k, v in chunk.metadata.items()],
        "meta_keys": list(chunk.metadata),
    }


def chunk_from(properties: Mapping[str, Any]) -> Chunk:
    """A chunk back from the properties Weaviate returns (`RETURNED`)."""
    text = {key: str(properties.get(key) or "") for key in ("text", "doc_id", "source", "title")}
    metadata = json.loads(properties.get("metadata_json") or "{}")
    return Chunk(id=str(properties["chunk_id"]), metadata=metadata, **text)


def _schema() -> list[Property]:
    def text(name: str, *, searchable: bool = False, filterable: bool = False, array: bool = False) -> Property:
        tokenization = Tokenization.WORD if searchable else Tokenization.FIELD if filterable else None
        return Property(
            name=name,
            data_type=DataType.TEXT_ARRAY if array else DataType.TEXT,
            index_searchable=searchable,
            index_filterable=filterable,
            tokenization=tokenization,
        )

    return [
        text("chunk_id"),
        text("text"),
        text("content", searchable=True),
        text("doc_id", filterable=True),
        text("source", filterable=True),
        text("title"),
        text("metadata_json"),
        text("meta", filterable=True, array=True),
        text("meta_keys", filterable=True, array=True),
    ]


def _detail(error: Exception) -> str:
    return " ".join(str(error).split())


def connect(config: WeaviateConfig) -> weaviate.WeaviateClient:
    """A connected client, or a ConfigError saying what to fix."""
    key = config.api_key()
    auth = Auth.api_key(key) if key else None
    seconds = config.timeout_s
    extra = AdditionalConfig(timeout=Timeout(init=seconds, query=seconds, insert=seconds))
    try:
        if config.is_cloud:
            if auth is None:
                raise ConfigError(
                    f"Weaviate Cloud at {config.url} needs an API key and {config.api_key_env} is not set; "
                    "export it (keys never go in config), or set api_key_env to the variable that holds it"
                )
            return weaviate.connect_to_weaviate_cloud(config.url, auth, additional_config=extra)
        return weaviate.connect_to_custom(
            http_host=config.host,
            http_port=config.port,
            http_secure=config.secure,
            grpc_host=config.host,
            grpc_port=config.grpc_port,
            grpc_secure=config.secure,
            auth_credentials=auth,
            additional_config=extra,
        )
    except (AuthenticationFailedError, UnexpectedStatusCodeError) as e:
        if isinstance(e, UnexpectedStatusCodeError) and e.status_code not in (401, 403):
            raise
        fix = (
            f"check the key in {config.api_key_env}"
            if key
            else f"export {config.api_key_env}=<key> (keys never go in config), or set api_key_env"
        )
        raise ConfigError(f"Weaviate at {config.url} refused access ({_detail(e)}); {fix}") from e
    except WeaviateGRPCUnavailableError as e:
        raise ConfigError(
            f"Weaviate answers at {config.url} but not over gRPC at {config.host}:{config.grpc_port} "
            f"({_detail(e)}); publish the gRPC port too (`{DOCKER_RUN}`) or set grpc_port"
        ) from e
    except (WeaviateConnectionError, WeaviateTimeoutError, WeaviateStartUpError) as e:
        if isinstance(e, WeaviateStartUpError) and e.__cause__ is None:  # reached, but e.g. too old
            raise ConfigError(f"Weaviate at {config.url} cannot be used: {_detail(e)}") from e
        raise ConfigError(
            f"could not reach Weaviate at {config.url}: {_detail(e)}; start one with `{DOCKER_RUN}` or set {URL_ENV}"
        ) from e


def _ensure_collection(client: weaviate.WeaviateClient, name: str) -> Collection:
    """The collection, created when missing; an existing one must have agentkit's schema."""
    if not client.collections.exists(name):
        return client.collections.create(
            name,
            properties=_schema(),
            vector_config=Configure.Vectors.self_provided(
                name=VECTOR,
                vector_index_config=Configure.VectorIndex.hnsw(distance_metric=VectorDistances.COSINE),
            ),
        )
    collection = client.collections.use(name)
    config = collection.config.get()
    missing = [p.name for p in _schema() if p.name not in {q.name for q in config.properties}]
    if VECTOR not in (config.vector_config or {}):
        missing.append(f"vector {VECTOR!r}")
    if missing:
        raise ConfigError(
            f"Weaviate collection {name!r} exists but was not made by agentkit (missing: {', '.join(missing)}); "
            "choose another collection name, or delete that collection"
        )
    return collection


def _groups(items: Sequence[str], size: int = GROUP) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class WeaviateStore(ChunkStore):
    """Chunks in a Weaviate collection; connects, and creates the collection, on first use."""

    def __init__(self, config: WeaviateConfig) -> None:
        self.config = config
        self._client: weaviate.WeaviateClient | None = None
        self._collection: Collection | None = None
        self._known_keys: set[str] = set()  # metadata keys some stored chunk has
        self._lock = threading.Lock()

    def _connected(self) -> weaviate.WeaviateClient:
        if self._client is None:
            self._client = connect(self.config)
        return self._client

    @property
    def collection(self) -> Collection:
        """The Weaviate collection (connecting and creating it when needed)."""
        with self._lock:
            if self._collection is None:
                self._collection = _ensure_collection(self._connected(), self.config.collection)
            return self._collection

    def upsert(self, chunks: Sequence[Chunk], vectors: np.ndarray) -> None:
        """Add or replace chunks with their vectors (batched: not atomic, failures are raised)."""
        vectors = np.asarray(vectors, dtype=np.float32)
        if len(chunks) != len(vectors):
            raise ValueError(f"{len(chunks)} chunks but {len(vectors)} vectors")
        if not chunks:
            return
        collection = self.collection
        with collection.batch.fixed_size(batch_size=100) as batch:
            for chunk, vector in zip(chunks, vectors):
                batch.add_object(
                    properties=chunk_properties(chunk), uuid=chunk_uuid(chunk.id), vector={VECTOR: vector.tolist()}
                )
        failed = collection.batch.failed_objects
        self._known_keys.update(key for chunk in chunks for key in chunk.metadata)
        if failed:
            shown = "; ".join(
                f"{(f.object_.properties or {}).get('chunk_id', f.object_.uuid)}: {f.message}" for f in failed[:5]
            )
            more = f" (and {len(failed) - 5} more)" if len(failed) > 5 else ""
            raise ConfigError(
                f"Weaviate collection {self.config.collection!r} refused {len(failed)} of {len(chunks)} chunks "
                f"(the others were written): {shown}{more}"
            )

    def delete(self, ids: Iterable[str]) -> None:
        """Remove chunks by id (unknown ids are ignored)."""
        uuids = [chunk_uuid(i) for i in dict.fromkeys(ids)]
        for group in _groups(uuids):
            result = self.collection.data.delete_many(where=Filter.by_id().contains_any(group))
            if result.failed:
                raise ConfigError(f"Weaviate could not delete {result.failed} of {len(group)} chunks")

    def get(self, ids: Sequence[str]) -> list[Chunk]:
        """The chunks with these ids that exist, in the given order."""
        found: dict[str, Chunk] = {}
        for group in _groups(list(dict.fromkeys(ids))):
            result = self.collection.query.fetch_objects(
                filters=Filter.by_id().contains_any([chunk_uuid(i) for i in group]),
                limit=len(group),
                return_properties=RETURNED,
            )
            found.update((chunk.id, chunk) for chunk in (chunk_from(o.properties) for o in result.objects))
        return [found[i] for i in ids if i in found]

    def ids_by_source(self) -> dict[str, set[str]]:
        """Chunk ids grouped by the file they came from (one pass of the collection iterator)."""
        by_source: dict[str, set[str]] = {}
        for obj in self.collection.iterator(return_properties=["chunk_id", "source"]):
            by_source.setdefault(str(obj.properties["source"]), set()).add(str(obj.properties["chunk_id"]))
        return by_source

    def count(self) -> int:
        """How many chunks are stored."""
        return self.collection.aggregate.over_all(total_count=True).total_count or 0

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
        """The best `k` chunks by Weaviate's BM25 on `content`, cosine near-vector, or hybrid fusion.

        Hybrid: rrf is Weaviate's ranked fusion with both rankings weighed equally (its rank
        constant is fixed at 60, so `rrf_k` is not used); weighted is relative-score fusion
        with `alpha` on the dense side. `score` is the BM25 / fused score, or 1 - cosine
        distance for dense; `scores` holds it under the mode's name."""
        if mode not in ("bm25", "dense", "hybrid"):
            raise ValueError(f"unknown search mode {mode!r}; use bm25, dense or hybrid")
        if mode != "bm25" and vector is None:
            raise ValueError(f"{mode} search needs the query vector")
        filters = filters or {}
        if k <= 0 or any(not _values(wanted) for wanted in filters.values()):
            return []
        where = translate_filters(filters)
        dense = None if vector is None else np.asarray(vector, dtype=np.float32).tolist()
        query_api = self.collection.query
        if mode == "bm25":
            result = query_api.bm25(
                query,
                query_properties=["content"],
                limit=k,
                filters=where,
                return_metadata=MetadataQuery(score=True),
                return_properties=RETURNED,
            )
        elif mode == "dense":
            result = query_api.near_vector(
                dense,
                target_vector=VECTOR,
                limit=k,
                filters=where,
                return_metadata=MetadataQuery(distance=True),
                return_properties=RETURNED,
            )
        else:
            weighted = fusion.method == "weighted"
            result = query_api.hybrid(
                query,
                vector=dense,
                target_vector=VECTOR,
                alpha=fusion.alpha if weighted else 0.5,
                fusion_type=HybridFusion.RELATIVE_SCORE if weighted else HybridFusion.RANKED,
                query_properties=["content"],
                limit=k,
                filters=where,
                return_metadata=MetadataQuery(score=True),
                return_properties=RETURNED,
            )
        hits = []
        for obj in result.objects:
            meta = obj.metadata
            score = 1.0 - (meta.distance or 0.0) if mode == "dense" else meta.score or 0.0
            hits.append(Hit(chunk=chunk_from(obj.properties), score=score, scores={mode: score}))
        if not hits:
            self._check_filter_keys(filters)
        return hits

    def _check_filter_keys(self, filters: Filters) -> None:
        """Raise for a metadata filter key that no stored chunk has (a typo, usually)."""
        for key in filters:
            if key in FILTERABLE_FIELDS or key in self._known_keys:
                continue
            probe = self.collection.query.fetch_objects(
                filters=Filter.by_property("meta_keys").contains_any([key]), limit=1, return_properties=[]
            )
            if not probe.objects:
                raise ConfigError(
                    f"unknown filter key {key!r}: no chunk in Weaviate collection {self.config.collection!r} has "
                    f"that metadata key; filter on doc_id, source or a metadata key of the indexed chunks "
                    f"({suggest(key, [*FILTERABLE_FIELDS, *self._known_keys])})"
                )
            self._known_keys.add(key)

    def drop(self) -> None:
        """Delete the collection and its chunks (it is created again, empty, on next use)."""
        with self._lock:
            self._connected().collections.delete(self.config.collection)
            self._collection = None
            self._known_keys.clear()

    def close(self) -> None:
        """Close the connection (the next use reconnects)."""
        with self._lock:
            if self._client is not None:
                self._client.close()
            self._client = None
            self._collection = None

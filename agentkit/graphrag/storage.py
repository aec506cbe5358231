"""Where a knowledge graph lives: `kg.sqlite` (per-chunk extractions, the user's unmerges,
cached name vectors and community reports) and `graph.json` (the derived graph, written atomically).

Extractions are committed in batches, so a build killed at any moment keeps what it
finished and a re-run extracts only the rest; `graph.json` is replaced in one rename, so
a reader sees the old graph or the new one, never half of either.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from agentkit.errors import ConfigError
from agentkit.graphrag.types import ChunkExtraction

DATABASE = "kg.sqlite"
SNAPSHOT = "graph.json"
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS extractions (chunk_id TEXT PRIMARY KEY, doc_id TEXT NOT NULL, payload TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS unmerged (a TEXT NOT NULL, b TEXT NOT NULL, PRIMARY KEY (a, b));
CREATE TABLE IF NOT EXISTS name_vectors (form TEXT PRIMARY KEY, vector BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS reports (key TEXT PRIMARY KEY, payload TEXT NOT NULL);
"""


def rebuild_hint(store: str) -> str:
    """The command that rebuilds a store's graph from scratch (the store itself is untouched)."""
    return f"agentkit kg build --store {store} --rebuild"


def set_aside_unreadable(folder: Path) -> Path:
    """Rename an unreadable `kg.sqlite` (and its WAL files) to `*.unreadable`, so a rebuild
    can start while nothing is deleted; the new name of the database."""
    for suffix in ("", "-wal", "-shm"):
        path = folder / f"{DATABASE}{suffix}"
        if path.exists():
            os.replace(path, path.with_name(f"{path.name}.unreadable"))
    return folder / f"{DATABASE}.unreadable"


class GraphFiles:
    """The files of one store's knowledge graph."""

    def __init__(self, folder: Path, store: str):
        self.folder, self.store = folder, store
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / DATABASE
        try:
            self._db = sqlite3.connect(path, isolation_level=None, timeout=60, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise ConfigError(f"{path} is not a readable knowledge graph ({exc})\n"
                              f"    fix: run `{rebuild_hint(store)}` (it replaces only the graph; "
                              "the store and its chunks are untouched)") from None

    # -- meta ----------------------------------------------------------------------
    def meta(self) -> dict[str, str]:
        """What the graph was built from (store identity, extractor and its version)."""
        return dict(self._db.execute("SELECT key, value FROM meta"))

    def set_meta(self, values: dict[str, str]) -> None:
        """Record what the extractions were made with (in one transaction)."""
        with self._transaction():
            self._db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", values.items())

    # -- extractions ---------------------------------------------------------------
    def extracted_ids(self) -> set[str]:
        """Chunk ids with a stored extraction."""
        return {row[0] for row in self._db.execute("SELECT chunk_id FROM extractions")}

    def extraction_rows(self) -> tuple[list[dict[str, Any]], dict[str, str]]:
        """Every stored extraction as the JSON object it was stored as (the derivation reads
        these: parsing them into models would cost more than deriving), ordered by chunk id, and
        chunk id -> a digest of its extraction."""
        rows, digests = [], {}
        for chunk_id, payload in self._db.execute("SELECT chunk_id, payload FROM extractions ORDER BY chunk_id"):
            rows.append(orjson.loads(payload))
            digests[chunk_id] = hashlib.blake2b(payload.encode(), digest_size=12).hexdigest()
        return rows, digests

    def save_extractions(self, extractions: Sequence[ChunkExtraction]) -> None:
        """Store (or replace) a batch of extractions atomically."""
        with self._transaction():
            self._db.executemany("INSERT OR REPLACE INTO extractions VALUES (?, ?, ?)",
                                 [(e.chunk_id, e.doc_id, e.model_dump_json()) for e in extractions])

    def delete_extractions(self, chunk_ids: Iterable[str]) -> None:
        """Forget the extractions of chunks that left the store."""
        with self._transaction():
            self._db.executemany("DELETE FROM extractions WHERE chunk_id = ?", [(i,) for i in chunk_ids])

    def clear(self) -> None:
        """Forget every extraction, the meta, the cached reports and the derived graph (a
        rebuild); the user's unmerges and the cached name vectors stay."""
        with self._transaction():
            self._db.execute("DELETE FROM extractions")
            self._db.execute("DELETE FROM meta")
            self._db.execute("DELETE FROM reports")
        (self.folder / SNAPSHOT).unlink(missing_ok=True)

    # -- entity resolution ---------------------------------------------------------
    def unmerged(self) -> set[tuple[str, str]]:
        """Entity key pairs the user split apart (never merged again)."""
        return {(a, b) for a, b in self._db.execute("SELECT a, b FROM unmerged")}

    def add_unmerged(self, a: str, b: str) -> None:
        """Keep `a` and `b` apart from now on (stored both ways round)."""
        with self._transaction():
            self._db.executemany("INSERT OR IGNORE INTO unmerged VALUES (?, ?)", [(a, b), (b, a)])

    def remove_unmerged(self, a: str, b: str) -> bool:
        """Allow `a` and `b` to merge again; whether they had been kept apart."""
        with self._transaction():
            cursor = self._db.execute("DELETE FROM unmerged WHERE (a, b) IN ((?, ?), (?, ?))", (a, b, b, a))
        return cursor.rowcount > 0

    def name_vectors(self, forms: Sequence[str]) -> dict[str, np.ndarray]:
        """Cached embeddings of entity names (resolution embeds each name once)."""
        found: dict[str, np.ndarray] = {}
        for start in range(0, len(forms), 500):
            batch = forms[start:start + 500]
            marks = ",".join("?" * len(batch))
            for form, blob in self._db.execute(f"SELECT form, vector FROM name_vectors WHERE form IN ({marks})", batch):
                found[form] = np.frombuffer(blob, dtype=np.float32)
        return found

    def save_name_vectors(self, vectors: dict[str, np.ndarray]) -> None:
        """Cache entity-name embeddings."""
        with self._transaction():
            self._db.executemany("INSERT OR REPLACE INTO name_vectors VALUES (?, ?)",
                                 [(form, np.asarray(v, dtype=np.float32).tobytes()) for form, v in vectors.items()])

    # -- community reports ---------------------------------------------------------
    def cached_reports(self, keys: Sequence[str]) -> dict[str, str]:
        """Report payloads cached under `keys` (a key hashes everything a report is derived from)."""
        found: dict[str, str] = {}
        for start in range(0, len(keys), 500):
            batch = keys[start:start + 500]
            marks = ",".join("?" * len(batch))
            found.update(self._db.execute(f"SELECT key, payload FROM reports WHERE key IN ({marks})", batch))
        return found

    def replace_cached_reports(self, payloads: dict[str, str]) -> None:
        """Keep exactly `payloads` (key -> report JSON) as the cached reports: the reports of
        the graph just derived."""
        with self._transaction():
            self._db.execute("CREATE TEMP TABLE IF NOT EXISTS kept (key TEXT PRIMARY KEY)")
            self._db.execute("DELETE FROM kept")
            self._db.executemany("INSERT OR IGNORE INTO kept VALUES (?)", [(key,) for key in payloads])
            self._db.execute("DELETE FROM reports WHERE key NOT IN (SELECT key FROM kept)")
            self._db.executemany("INSERT OR IGNORE INTO reports VALUES (?, ?)", payloads.items())

    # -- the derived graph ---------------------------------------------------------
    def read_snapshot(self) -> dict[str, Any] | None:
        """The last graph written (None before the first build)."""
        path = self.folder / SNAPSHOT
        if not path.exists():
            return None
        try:
            return orjson.loads(path.read_bytes())
        except (OSError, orjson.JSONDecodeError) as exc:
            raise ConfigError(f"{path} is not a readable knowledge graph ({exc})\n"
                              f"    fix: run `agentkit kg build --store {self.store}` to rewrite it from the "
                              "stored extractions (nothing is extracted again)") from None

    def write_snapshot(self, snapshot: dict[str, Any], stamp: str) -> None:
        """Replace `graph.json` in one rename (readers see the old graph or the new one), then
        record the `stamp` it was derived under and its hash."""
        path = self.folder / SNAPSHOT
        partial = path.with_name(f"{SNAPSHOT}.partial")
        data = orjson.dumps(snapshot)
        with partial.open("wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, path)
        self.set_meta({"stamp": stamp, "snapshot_sha256": hashlib.sha256(data).hexdigest()})

    def snapshot_current(self, stamp: str) -> bool:
        """Whether `graph.json` is intact and was derived under `stamp` (nothing to derive)."""
        meta, path = self.meta(), self.folder / SNAPSHOT
        if meta.get("stamp") != stamp or not path.exists():
            return False
        return hashlib.sha256(path.read_bytes()).hexdigest() == meta.get("snapshot_sha256")

    def close(self) -> None:
        """Release the database."""
        self._db.close()

    def _transaction(self) -> "_Transaction":
        return _Transaction(self._db)


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT, rolled back on any exception (Ctrl-C included)."""

    def __init__(self, db: sqlite3.Connection):
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: object, *_: object) -> None:
        self.db.execute("ROLLBACK" if kind else "COMMIT")

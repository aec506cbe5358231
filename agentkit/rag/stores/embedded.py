"""The embedded default store: SQLite rows + exact dense search + a bm25s lexical index.

SQLite is the one source of truth: every upsert/delete is one transaction that also
bumps a generation counter, so a killed writer leaves either the old or the new rows,
never half of them. The BM25 index is derived data, saved next to the database under
its generation (written to a temporary folder, then renamed) and rebuilt whenever the
generation moved on. Rows are always read in id order, so an index built from the same
chunks is the same index however the chunks arrived.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import bm25s
import numpy as np

from agentkit.errors import ConfigError
from agentkit.rag.chunks import Chunk, Hit
from agentkit.rag.fusion import FusionConfig, fuse
from agentkit.rag.stores.base import ChunkStore, Filters, SearchMode, matches
from agentkit.rag.text import bm25_corpus_tokens, lexical_tokens

SCHEMA = """
CREATE TABLE IF NOT EXISTS chunks (
    id TEXT PRIMARY KEY, doc_id TEXT NOT NULL, source TEXT NOT NULL, title TEXT NOT NULL,
    text TEXT NOT NULL, metadata TEXT NOT NULL, vector BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_source ON chunks(source);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
HYBRID_DEPTH = 100  # candidates taken from each ranking before fusion
BM25_MARKER = ".agentkit-bm25"  # in every index folder a store writes: cleanup removes only those


@dataclass
class _Snapshot:
    """The rows of one generation, loaded for searching."""

    generation: int
    chunks: list[Chunk]
    vectors: np.ndarray
    bm25: bm25s.BM25 | None


class EmbeddedStore(ChunkStore):
    """A persistent store in one folder: `chunks.sqlite` and the derived `bm25-<gen>/`."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        try:
            self._db = sqlite3.connect(self.path / "chunks.sqlite", check_same_thread=False,
                                       isolation_level=None, timeout=60)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise ConfigError(
                f"{self.path / 'chunks.sqlite'} is not a readable agentkit store ({exc}); "
                "move it away and re-run `agentkit index` to rebuild it"
            ) from exc
        self._snapshot: _Snapshot | None = None

    # -- writes --------------------------------------------------------------------
    def upsert(self, chunks: Sequence[Chunk], vectors: np.ndarray) -> None:
        if len(chunks) != len(vectors):
            raise ValueError(f"{len(chunks)} chunks but {len(vectors)} vectors")
        rows = [
            (c.id, c.doc_id, c.source, c.title, c.text, json.dumps(c.metadata, sort_keys=True),
             np.asarray(v, dtype=np.float32).tobytes())
            for c, v in zip(chunks, vectors)
        ]
        dims = {np.asarray(v).shape[-1] for v in vectors}
        with self._lock:
            self._check_dimension(dims)
            self._write("INSERT OR REPLACE INTO chunks VALUES (?, ?, ?, ?, ?, ?, ?)", rows,
                        dims=dims)

    def delete(self, ids: Iterable[str]) -> None:
        with self._lock:
            self._write("DELETE FROM chunks WHERE id = ?", [(i,) for i in ids])

    def _write(self, sql: str, rows: list[tuple], dims: set[int] | None = None) -> None:
        if not rows:
            return
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            db.executemany(sql, rows)
            if dims:
                db.execute("INSERT OR IGNORE INTO meta VALUES ('dimension', ?)", (str(dims.pop()),))
            db.execute(
                "INSERT INTO meta VALUES ('generation', '1') ON CONFLICT(key) "
                "DO UPDATE SET value = CAST(value AS INTEGER) + 1"
            )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def _check_dimension(self, dims: set[int]) -> None:
        row = self._db.execute("SELECT value FROM meta WHERE key = 'dimension'").fetchone()
        known = {int(row[0])} if row else set()
        if len(dims | known) > 1:
            raise ConfigError(
                f"store {self.path}: vectors of dimension {sorted(dims)} do not fit the store's "
                f"{sorted(known) or sorted(dims)[:1]}; index with the embeddings model the store "
                "was built with, or use a new store name"
            )

    # -- reads ---------------------------------------------------------------------
    def get(self, ids: Sequence[str]) -> list[Chunk]:
        with self._lock:
            found = {
                row[0]: _chunk(row)
                for start in range(0, len(ids), 500)
                for row in self._db.execute(
                    "SELECT id, doc_id, source, title, text, metadata FROM chunks WHERE id IN "
                    f"({','.join('?' * len(ids[start:start + 500]))})", list(ids[start:start + 500]))
            }
        return [found[i] for i in ids if i in found]

    def ids_by_source(self) -> dict[str, set[str]]:
        grouped: dict[str, set[str]] = {}
        with self._lock:
            for source, chunk in self._db.execute("SELECT source, id FROM chunks"):
                grouped.setdefault(source, set()).add(chunk)
        return grouped

    def count(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0])

    def generation(self) -> int:
        """Bumped by every committed write (what derived indexes are keyed by)."""
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
        return int(row[0]) if row else 0

    # -- search --------------------------------------------------------------------
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
        if mode != "bm25" and vector is None:
            raise ValueError(f"{mode} search needs the query vector")
        snap = self._current()
        if not snap.chunks:
            return []
        mask = np.array([matches(c, filters) for c in snap.chunks]) if filters else None
        lexical = self._bm25_scores(snap, query) if mode != "dense" else None
        dense = snap.vectors @ np.asarray(vector, dtype=np.float32) if mode != "bm25" else None
        if mask is not None:
            lexical = None if lexical is None else np.where(mask, lexical, 0.0)
            dense = None if dense is None else np.where(mask, dense, -np.inf)
        if mode == "bm25":
            ranked = [(i, float(lexical[i])) for i in _top(lexical, k) if lexical[i] > 0]
        elif mode == "dense":
            ranked = [(i, float(dense[i])) for i in _top(dense, k) if np.isfinite(dense[i])]
        else:
            depth = max(k, HYBRID_DEPTH)
            lex = [(i, float(lexical[i])) for i in _top(lexical, depth) if lexical[i] > 0]
            den = [(i, float(dense[i])) for i in _top(dense, depth) if np.isfinite(dense[i])]
            ranked = fuse(lex, den, fusion)[:k]
        return [
            Hit(chunk=snap.chunks[i], score=score, scores=_stage_scores(mode, score, i, lexical, dense))
            for i, score in ranked
        ]

    def _bm25_scores(self, snap: _Snapshot, query: str) -> np.ndarray:
        tokens = [t for t in lexical_tokens([query])[0] if t in snap.bm25.vocab_dict]
        if not tokens:
            return np.zeros(len(snap.chunks), dtype=np.float32)
        return snap.bm25.get_scores(tokens)

    def _current(self) -> _Snapshot:
        with self._lock:
            generation = self.generation()
            if self._snapshot is None or self._snapshot.generation != generation:
                self._snapshot = self._load(generation)
            return self._snapshot

    def _load(self, generation: int) -> _Snapshot:
        rows = self._db.execute(
            "SELECT id, doc_id, source, title, text, metadata, vector FROM chunks ORDER BY id"
        ).fetchall()
        chunks = [_chunk(row) for row in rows]
        vectors = (np.frombuffer(b"".join(r[6] for r in rows), dtype=np.float32).reshape(len(rows), -1)
                   if rows else np.zeros((0, 0), dtype=np.float32))
        bm25 = self._bm25_index(generation, chunks) if chunks else None
        return _Snapshot(generation, chunks, vectors, bm25)

    def _bm25_index(self, generation: int, chunks: list[Chunk]) -> bm25s.BM25:
        folder = self.path / f"bm25-{generation}"
        if (folder / "params.index.json").exists():
            try:
                return bm25s.BM25.load(str(folder), show_progress=False)
            except (OSError, ValueError):  # removed by a writer that moved on: rebuild
                pass
        index = bm25s.BM25()
        index.index(bm25_corpus_tokens([c.content for c in chunks]), show_progress=False)
        self._save_atomically(index, folder)
        return index

    def _save_atomically(self, index: bm25s.BM25, folder: Path) -> None:
        staging = Path(tempfile.mkdtemp(prefix=".bm25-", dir=self.path))
        (staging / BM25_MARKER).touch()
        try:
            index.save(str(staging), show_progress=False)
            os.replace(staging, folder)
        except OSError:
            shutil.rmtree(staging, ignore_errors=True)
            if not folder.exists():
                raise
        for stale in [*self.path.glob("bm25-*"), *self.path.glob(".bm25-*")]:
            if stale != folder and (stale / BM25_MARKER).is_file():  # only what a store wrote
                shutil.rmtree(stale, ignore_errors=True)

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _top(scores: np.ndarray, k: int) -> np.ndarray:
    k = min(k, len(scores))
    top = np.argpartition(-scores, k - 1)[:k]
    return top[np.lexsort((top, -scores[top]))]


def _stage_scores(
    mode: SearchMode, score: float, i: int, lexical: np.ndarray | None, dense: np.ndarray | None
) -> dict[str, float]:
    scores: dict[str, float] = {}
    if lexical is not None:
        scores["bm25"] = float(lexical[i])
    if dense is not None:
        scores["dense"] = float(dense[i])
    scores[mode] = score
    return scores


def _chunk(row: tuple) -> Chunk:
    return Chunk(id=row[0], doc_id=row[1], source=row[2], title=row[3], text=row[4],
                 metadata=json.loads(row[5]))

"""A SQLite cache of LLM extractions keyed by (chunk id, prompt version, model id).

Chunk ids are content hashes (`agentkit.rag.chunks.chunk_id`), so a cached extraction is
valid for as long as its chunk exists: rebuilding a graph, or building it again after
a crash, costs no model call for what was already extracted. Each extraction is committed
on its own (WAL journal), so a process killed at any moment loses at most the chunk it
was working on. Each row also keeps the tokens and seconds it cost, which give the
measured throughput `LLMExtractor.estimate` uses.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable
from pathlib import Path

from pydantic import BaseModel

from agentkit.errors import ConfigError
from agentkit.graphrag.types import ChunkExtraction

SCHEMA = """
CREATE TABLE IF NOT EXISTS extractions (
    chunk_id TEXT NOT NULL,
    prompt_version TEXT NOT NULL,
    model_id TEXT NOT NULL,
    payload TEXT NOT NULL,
    prompt_tokens INTEGER NOT NULL,
    completion_tokens INTEGER NOT NULL,
    seconds REAL NOT NULL,
    created REAL NOT NULL,
    PRIMARY KEY (chunk_id, prompt_version, model_id)
);
"""


class Cost(BaseModel):
    """What extractions cost: calls' prompt and completion tokens and wall time."""

    chunks: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0

    @property
    def tokens(self) -> int:
        """Prompt plus completion tokens."""
        return self.prompt_tokens + self.completion_tokens


class ExtractionCache:
    """LLM extractions stored in one SQLite file (created with its folder if missing)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, isolation_level=None, timeout=60, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(SCHEMA)
        except (sqlite3.DatabaseError, OSError) as exc:
            raise ConfigError(
                f"{path} is not a readable LLM extraction cache ({exc})\n"
                f"    fix: delete or move it away; it only holds cached model replies, which the next "
                f"build makes again") from None

    def get(self, chunk_id: str, prompt_version: str, model_id: str) -> ChunkExtraction | None:
        """The cached extraction, if this chunk was extracted with this prompt and model."""
        row = self._db.execute(
            "SELECT payload FROM extractions WHERE chunk_id = ? AND prompt_version = ? AND model_id = ?",
            (chunk_id, prompt_version, model_id)).fetchone()
        return None if row is None else ChunkExtraction.model_validate_json(row[0])

    def cached_ids(self, chunk_ids: Iterable[str], prompt_version: str, model_id: str) -> set[str]:
        """Those of `chunk_ids` that have a cached extraction for this prompt and model."""
        wanted = list(dict.fromkeys(chunk_ids))
        found: set[str] = set()
        for start in range(0, len(wanted), 500):
            batch = wanted[start:start + 500]
            marks = ",".join("?" * len(batch))
            found.update(row[0] for row in self._db.execute(
                f"SELECT chunk_id FROM extractions WHERE prompt_version = ? AND model_id = ? "
                f"AND chunk_id IN ({marks})", (prompt_version, model_id, *batch)))
        return found

    def put(self, extraction: ChunkExtraction, prompt_version: str, model_id: str, cost: Cost) -> None:
        """Store one extraction and what it cost (committed at once)."""
        self._db.execute(
            "INSERT OR REPLACE INTO extractions VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (extraction.chunk_id, prompt_version, model_id, extraction.model_dump_json(),
             cost.prompt_tokens, cost.completion_tokens, cost.seconds, time.time()))

    def cost(self, prompt_version: str, model_id: str) -> Cost:
        """The total cost of the extractions cached for this prompt and model."""
        chunks, prompt, completion, seconds = self._db.execute(
            "SELECT COUNT(*), COALESCE(SUM(prompt_tokens), 0), COALESCE(SUM(completion_tokens), 0), "
            "COALESCE(SUM(seconds), 0) FROM extractions WHERE prompt_version = ? AND model_id = ?",
            (prompt_version, model_id)).fetchone()
        return Cost(chunks=chunks, prompt_tokens=prompt, completion_tokens=completion, seconds=seconds)

    def close(self) -> None:
        """Close the database."""
        self._db.close()

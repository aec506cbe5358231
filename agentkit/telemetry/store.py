"""The telemetry database (SQLite, WAL) and its writer: records go into a bounded queue and a
background thread writes them in batches, one transaction per batch. A full queue or a
failing disk drops records (counted, warned about once a minute); it never blocks or fails
the call that produced them."""

from __future__ import annotations

import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Iterable
from contextlib import closing
from pathlib import Path

from agentkit.telemetry.records import COLUMNS, CallRecord

TELEMETRY_FILE = "telemetry.sqlite"


def _column_type(name: str) -> str:
    kind = str(CallRecord.__dataclass_fields__[name].type)  # annotations are strings here
    return "INTEGER" if kind == "int" else "REAL" if kind.startswith("float") else "TEXT"


_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS calls (id INTEGER PRIMARY KEY, "
    + ", ".join(f"{name} {_column_type(name)}" for name in COLUMNS)
    + "); CREATE INDEX IF NOT EXISTS calls_ts ON calls (ts);"
)
_INSERT = f"INSERT INTO calls ({', '.join(COLUMNS)}) VALUES ({', '.join('?' for _ in COLUMNS)})"
_log = logging.getLogger(__name__)


def connect(path: Path) -> sqlite3.Connection:
    """The telemetry database at `path`, created (with its table) if missing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(path, timeout=10, check_same_thread=False)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.executescript(_SCHEMA)
    return connection


def write_records(connection: sqlite3.Connection, records: Iterable[CallRecord]) -> None:
    """Insert records in one transaction."""
    with connection:
        connection.executemany(_INSERT, [tuple(getattr(r, name) for name in COLUMNS) for r in records])


class TelemetryWriter:
    """Writes records to the database at `path` from a background thread."""

    def __init__(self, path: Path, max_queue: int = 10_000, batch: int = 500, interval_s: float = 0.25) -> None:
        self.path = path
        self.dropped = 0
        self.written = 0
        self._queue: queue.Queue[CallRecord | None] = queue.Queue(maxsize=max_queue)
        self._batch, self._interval = batch, interval_s
        self._last_warning = 0.0
        self._thread = threading.Thread(target=self._run, name="agentkit-telemetry", daemon=True)
        self._thread.start()

    def record(self, record: CallRecord) -> None:
        """Queue `record` (never blocks; a full queue drops it)."""
        try:
            self._queue.put_nowait(record)
        except queue.Full:
            self._drop(1, "the telemetry queue is full")

    def close(self, timeout: float = 10.0) -> None:
        """Write what is queued, then stop."""
        self._queue.put(None)
        self._thread.join(timeout)

    def _run(self) -> None:
        connection = self._open()
        stopping = False
        while not stopping:
            try:
                first = self._queue.get(timeout=self._interval)
            except queue.Empty:
                continue
            batch, stopping = ([], True) if first is None else ([first], False)
            while not stopping and len(batch) < self._batch:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                stopping = item is None
                if item is not None:
                    batch.append(item)
            if batch:
                connection = self._write(connection, batch)
        if connection is not None:
            connection.close()

    def _open(self) -> sqlite3.Connection | None:
        try:
            return connect(self.path)
        except (sqlite3.Error, OSError) as exc:
            self._warn(f"cannot open the telemetry database {self.path} ({exc})")
            return None

    def _write(self, connection: sqlite3.Connection | None, batch: list[CallRecord]) -> sqlite3.Connection | None:
        connection = connection or self._open()
        if connection is None:
            self._drop(len(batch), "the telemetry database is not available")
            return None
        try:
            write_records(connection, batch)
            self.written += len(batch)
            return connection
        except (sqlite3.Error, OSError) as exc:  # a full disk, a locked or damaged file
            self._drop(len(batch), f"writing {self.path} failed ({exc})")
            with closing(connection):
                pass
            return None

    def _drop(self, count: int, why: str) -> None:
        self.dropped += count
        self._warn(f"{why}; {self.dropped} telemetry records dropped so far (calls are not affected)")

    def _warn(self, message: str) -> None:
        now = time.monotonic()
        if now - self._last_warning > 60:
            self._last_warning = now
            _log.warning(message)


def read_records(path: Path, since: float = 0.0) -> list[CallRecord]:
    """The records at or after `since` (a Unix time), oldest first."""
    if not path.is_file():
        return []
    with closing(connect(path)) as connection:
        rows = connection.execute(f"SELECT {', '.join(COLUMNS)} FROM calls WHERE ts >= ? ORDER BY ts",
                                  (since,)).fetchall()
    return [CallRecord(**dict(zip(COLUMNS, row, strict=True))) for row in rows]

"""The workspace's checkpoint database: created whole, checked on every open, never reset.

A new `checkpoints.sqlite` is built under a temporary name with its tables and then
linked into place, so agentkit never leaves an empty file there: an empty or unreadable
file is damage, reported with how to recover, and left exactly as it is."""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
from contextlib import closing
from pathlib import Path

from langgraph.checkpoint.sqlite import SqliteSaver

from agentkit.errors import ConfigError

TABLES = frozenset({"checkpoints", "writes"})  # what SqliteSaver.setup() creates


def open_checkpoints(path: Path) -> sqlite3.Connection:
    """A connection to the checkpoint database at `path`, created if missing; ConfigError
    (path, what is wrong, how to recover) if the file is damaged or not ours."""
    if not path.exists():
        _create(path)
    if path.stat().st_size == 0:
        raise _damaged(path, "is empty (0 bytes), but agentkit never leaves it empty: it was truncated")
    try:
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=rw", uri=True,
                                     check_same_thread=False, timeout=30)
    except sqlite3.Error as exc:
        raise _damaged(path, f"cannot be opened ({exc})") from None
    try:
        _check(connection, path)
    except BaseException:
        connection.close()
        raise
    return connection


def failed_during_run(path: Path, exc: sqlite3.DatabaseError) -> ConfigError:
    """The error for a checkpoint database that failed while a run was using it."""
    if "locked" in str(exc) or "busy" in str(exc):
        return ConfigError(f"checkpoint database {path} is busy ({exc}): another agentkit process "
                           "is writing it; run again when that one is done")
    return _damaged(path, f"failed during the run ({exc})")


def _check(connection: sqlite3.Connection, path: Path) -> None:
    try:
        problems = [row[0] for row in connection.execute("PRAGMA quick_check")]
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError as exc:
        raise _damaged(path, f"is not a readable SQLite database ({exc})") from None
    if problems != ["ok"]:
        raise _damaged(path, f"is corrupt (SQLite quick_check: {'; '.join(problems[:3])})")
    if tables and not TABLES <= tables:
        raise _damaged(path, f"is a SQLite database without agentkit's checkpoint tables "
                             f"(it has {', '.join(sorted(tables)[:5])})")


def _create(path: Path) -> None:
    """A complete, empty checkpoint database at `path`, unless another process made one first."""
    leftover = Path(f"{path}-wal")
    if leftover.exists():
        raise _damaged(path, f"is missing but its write-ahead log {leftover.name} is still there")
    descriptor, temporary = tempfile.mkstemp(prefix=f"{path.name}.", suffix=".new", dir=path.parent)
    os.close(descriptor)
    try:
        with closing(sqlite3.connect(temporary)) as connection:
            SqliteSaver(connection).setup()
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        try:
            os.link(temporary, path)  # never replaces a database another process just made
        except FileExistsError:
            pass
        except OSError:  # a file system without hard links: the same, with an exclusive create
            _copy_exclusive(Path(temporary), path)
    finally:
        for leftover_file in (temporary, f"{temporary}-wal", f"{temporary}-shm"):
            Path(leftover_file).unlink(missing_ok=True)


def _copy_exclusive(source: Path, path: Path) -> None:
    """Copy `source` to `path` unless `path` exists (the copy is complete before its rename)."""
    try:
        claim = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        return
    os.close(claim)  # `path` stays 0 bytes for a moment; the rename below fills it at once
    staging = path.with_name(f"{path.name}.copy")
    shutil.copyfile(source, staging)
    os.replace(staging, path)


def _damaged(path: Path, what: str) -> ConfigError:
    return ConfigError(
        f"checkpoint database {path} {what}. agentkit leaves it as it is. To go on, move it "
        f"aside (with any {path.name}-wal and -shm files next to it), e.g. `mv {path} {path}.broken`: "
        f"the next run starts a new database, and the threads in the old one are lost unless you "
        f"restore it from a backup"
    )

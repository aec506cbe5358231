"""A workspace's API keys. A key is shown once, when it is made; the workspace keeps only a
salted HMAC-SHA256 of its secret (256 random bits, so a slow password KDF would add cost to
every request and no strength) and checks it in constant time. Keys live in SQLite
(`.agentkit/keys.sqlite`), so one made or revoked with `agentkit keys` counts at once in a
running server: the server re-reads them when the database changes (`PRAGMA data_version`)."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from agentkit.errors import ConfigError
from agentkit.workspace import state_dir

KEYS_FILE = "keys.sqlite"
PREFIX = "ak"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")
_SCHEMA = """CREATE TABLE IF NOT EXISTS keys (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, salt BLOB NOT NULL, digest BLOB NOT NULL, scopes TEXT NOT NULL,
    rate_per_min INTEGER, tokens_per_min INTEGER, created REAL NOT NULL, revoked REAL)"""


class Scope(StrEnum):
    """What a key may call: `chat` the model API (/v1), `graphs` the graph API (/graphs,
    /threads), `admin` everything (also /metrics)."""

    chat = "chat"
    graphs = "graphs"
    admin = "admin"


class ApiKey(BaseModel):
    """A stored key, without its secret."""

    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    scopes: tuple[Scope, ...]
    rate_per_min: int | None = Field(None, ge=1, description="requests a minute (None: no limit)")
    tokens_per_min: int | None = Field(None, ge=1, description="prompt + completion tokens a minute")
    created: float
    revoked: float | None = None

    def allows(self, scope: Scope | None) -> bool:
        return scope is None or Scope.admin in self.scopes or scope in self.scopes


@dataclass(frozen=True)
class KeyCheck:
    """A presented key: the stored key it names (None: not one of this workspace's) and why
    it is refused (empty: it is accepted)."""

    key: ApiKey | None
    refused: str = ""


class KeyStore:
    """The keys of one workspace."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        self._version = -1
        self._keys: dict[str, tuple[ApiKey, bytes, bytes]] = {}

    @classmethod
    def of(cls, workspace: Path) -> KeyStore:
        return cls(state_dir(workspace) / KEYS_FILE)

    # -- managing keys -------------------------------------------------------------------

    def create(self, name: str, scopes: list[Scope], rate_per_min: int | None = None,
               tokens_per_min: int | None = None) -> tuple[ApiKey, str]:
        """A new key and its token (`ak_<id>_<secret>`), which is not stored and cannot be
        shown again."""
        if not _NAME.match(name):
            raise ConfigError(f"key name {name!r}: use 1-64 letters, digits and _ . @ - (starting with a letter "
                              f"or digit), e.g. ci-bot")
        if name in {key.name for key in self.list() if key.revoked is None}:
            raise ConfigError(f"a key named {name!r} exists; pick another name or revoke it first "
                              f"(agentkit keys revoke {name})")
        key = ApiKey(id=secrets.token_hex(5), name=name, scopes=tuple(dict.fromkeys(scopes or [Scope.chat])),
                     rate_per_min=rate_per_min, tokens_per_min=tokens_per_min, created=time.time())
        secret, salt = secrets.token_urlsafe(32), secrets.token_bytes(16)
        with self._lock:
            db = self._connection()
            with db:
                db.execute("INSERT INTO keys VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL)",
                           (key.id, key.name, salt, _digest(salt, secret), ",".join(key.scopes),
                            key.rate_per_min, key.tokens_per_min, key.created))
            self._version = -1
        return key, f"{PREFIX}_{key.id}_{secret}"

    def list(self) -> list[ApiKey]:
        """Every key, revoked ones too, oldest first."""
        with self._lock:
            self._refresh()
            return sorted((key for key, _, _ in self._keys.values()), key=lambda key: key.created)

    def revoke(self, id_or_name: str) -> ApiKey:
        """Revoke the key with this id, or the active key with this name."""
        found = [key for key in self.list() if key.id == id_or_name] or \
                [key for key in self.list() if key.name == id_or_name and key.revoked is None]
        if not found:
            known = ", ".join(f"{k.name} ({k.id})" for k in self.list() if k.revoked is None) or "none"
            raise ConfigError(f"no active key has the id or name {id_or_name!r} (active keys: {known}); "
                              f"see agentkit keys list")
        key = found[0]
        if key.revoked is not None:
            return key
        with self._lock:
            db = self._connection()
            with db:
                db.execute("UPDATE keys SET revoked = ? WHERE id = ?", (time.time(), key.id))
            self._version = -1
        return next(k for k in self.list() if k.id == key.id)

    # -- checking a presented key ------------------------------------------------------------

    def any(self) -> bool:
        """Whether any key was ever made here (revoking every key does not open the server)."""
        with self._lock:
            self._refresh()
            return bool(self._keys)

    def check(self, token: str) -> KeyCheck:
        """Whether `token` is an active key of this workspace, in constant time per key."""
        prefix, _, rest = token.partition("_")
        key_id, _, secret = rest.partition("_")
        with self._lock:
            self._refresh()
            stored = self._keys.get(key_id) if prefix == PREFIX else None
        if stored is None or not hmac.compare_digest(_digest(stored[1], secret), stored[2]):
            return KeyCheck(None, "the API key is not one of this server's keys; check it, or make one with "
                                  "`agentkit keys create NAME`")
        key = stored[0]
        if key.revoked is not None:
            when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(key.revoked))
            return KeyCheck(key, f"the API key {key.name!r} ({key.id}) was revoked on {when}; make a new one with "
                                 f"`agentkit keys create NAME`")
        return KeyCheck(key)

    def _refresh(self) -> None:
        """Re-read the keys when the database changed since the last read (the caller holds the lock)."""
        if not self.path.exists() and self._db is None:
            self._keys = {}
            return
        db = self._connection()
        version = db.execute("PRAGMA data_version").fetchone()[0]
        if version == self._version:
            return
        rows = db.execute("SELECT id, name, salt, digest, scopes, rate_per_min, tokens_per_min, created, revoked "
                          "FROM keys").fetchall()
        self._keys = {row[0]: (ApiKey(id=row[0], name=row[1], scopes=tuple(Scope(s) for s in row[4].split(",")),
                                      rate_per_min=row[5], tokens_per_min=row[6], created=row[7], revoked=row[8]),
                               row[2], row[3]) for row in rows}
        self._version = version

    def _connection(self) -> sqlite3.Connection:
        if self._db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            try:
                self._db = sqlite3.connect(self.path, check_same_thread=False, timeout=10)
                self._db.execute(_SCHEMA)
                self._db.commit()
            except sqlite3.DatabaseError as exc:
                self._db = None
                raise ConfigError(f"{self.path}: the key database cannot be read ({exc}); move it aside and make "
                                  f"the keys anew with `agentkit keys create`") from None
            self.path.chmod(0o600)
        return self._db


def _digest(salt: bytes, secret: str) -> bytes:
    return hmac.new(salt, secret.encode(), hashlib.sha256).digest()

"""Store and chunking settings from command-line options; a bad value is one sentence
naming the option (a ConfigError), not a validation dump."""

from __future__ import annotations

from typing import Mapping

from pydantic import ValidationError

from agentkit.errors import ConfigError
from agentkit.rag.chunking import ChunkingConfig
from agentkit.rag.config import StoreConfig

STORE_FLAGS = {"name": "--store", "backend": "--backend", "url": "--url"}
CHUNKING_FLAGS = {"chunk_size": "--chunk-size", "chunk_overlap": "--chunk-overlap"}


def store_options(name: str, backend: str = "embedded", url: str | None = None) -> StoreConfig:
    """The store `--store NAME [--backend B --url U]` names."""
    try:
        return StoreConfig(name=name, backend=backend, url=url)
    except ValidationError as exc:
        raise ConfigError(problem(exc, STORE_FLAGS)) from None


def chunking_options(chunk_size: int, chunk_overlap: int) -> ChunkingConfig:
    """The chunking `--chunk-size N --chunk-overlap M` asks for."""
    try:
        return ChunkingConfig(chunk_size=chunk_size, chunk_overlap=chunk_overlap)
    except ValidationError as exc:
        if not exc.errors()[0]["loc"]:  # both in range, but the overlap is not below the size
            raise ConfigError(f"--chunk-overlap {chunk_overlap} must be smaller than --chunk-size {chunk_size}") from None
        raise ConfigError(problem(exc, CHUNKING_FLAGS)) from None


def problem(exc: ValidationError, flags: Mapping[str, str]) -> str:
    """The first error of `exc` as `FLAG VALUE: what is wrong` (fields named by `flags`)."""
    error = exc.errors()[0]
    context = error.get("ctx") or {}
    if error["type"] == "greater_than_equal":
        what = f"must be at least {context['ge']}"
    elif error["type"] == "value_error":
        what = str(context.get("error", error["msg"]))
    else:
        what = error["msg"]
    if not error["loc"]:
        return what
    field = str(error["loc"][0])
    return f"{flags.get(field, field)} {error['input']!r}: {what}"

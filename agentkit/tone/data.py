"""ParaDetox-style pair files (`{"id", "toxic", "neutral": [rewrites]}` per line) and the
held-out split by seed that the evaluator measures on and training must leave out."""

from __future__ import annotations

import hashlib
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError

from agentkit.errors import ConfigError
from agentkit.jsonl import json_lines

DEFAULT_SEED = 0
DEFAULT_FRACTION = 0.05
_LINE = '{"id": "...", "toxic": "source text", "neutral": ["rewrite", ...]}'


class ToneItem(BaseModel):
    """One source sentence with its human rewrites (references; may be empty)."""

    id: str = Field(min_length=1)
    toxic: str = Field(min_length=1, description="the source sentence (rude / toxic)")
    neutral: list[str] = Field(default_factory=list, description="human rewrites in the target tone")


def in_heldout(item_id: str, seed: int = DEFAULT_SEED, fraction: float = DEFAULT_FRACTION) -> bool:
    """Whether `item_id` is in the held-out split of `seed`: a hash of seed and id, so the
    split does not depend on file order or size (training code leaves these ids out)."""
    digest = hashlib.sha256(f"{seed}:{item_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < fraction


def load_pairs(path: Path) -> list[ToneItem]:
    """Every item of a pair file; a bad line is a ConfigError naming file:line and the fix."""
    items: list[ToneItem] = []
    seen: dict[str, int] = {}
    for number, row in json_lines(path, "tone data", "give a ParaDetox-style .jsonl file: " + _LINE):
        try:
            item = ToneItem.model_validate(row)
        except ValidationError as exc:
            raise ConfigError(f"{path}:{number}: not a tone pair ({_why(exc)})\n    fix: each line is {_LINE}") from None
        if item.id in seen:
            raise ConfigError(f"{path}:{number}: id {item.id!r} repeats line {seen[item.id]}\n"
                              "    fix: give every line its own id")
        seen[item.id] = number
        items.append(item)
    if not items:
        raise ConfigError(f"tone data {path}: no items\n    fix: give a file with at least one pair")
    return items


def _why(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(map(str, first["loc"])) or "line"
    return f"{where}: {first['msg']}"

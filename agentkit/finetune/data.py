"""Training rows from JSONL files: chat `messages`, `prompt`/`completion`, or DPO
`prompt`/`chosen`/`rejected`, normalised to TRL's conversational prompt/completion form.
Malformed or empty rows are reported with file:line and skipped; too many fail the run."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentkit.errors import ConfigError
from agentkit.jsonl import json_lines
from agentkit.finetune.config import FinetuneConfig, Method

Message = dict[str, str]
ROLES = ("system", "user", "assistant")


@dataclass(frozen=True)
class BadRow:
    """A row that was skipped, and why."""

    file: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"


@dataclass
class Dataset:
    """Normalised rows split into train and eval, plus what was skipped per file."""

    train: list[dict[str, Any]]
    eval: list[dict[str, Any]]
    bad: list[BadRow] = field(default_factory=list)
    rows_per_file: dict[str, int] = field(default_factory=dict)


def load_data(config: FinetuneConfig, method: Method) -> Dataset:
    """Read every data file of `config`, hold out the eval split by seed."""
    rows: list[dict[str, Any]] = []
    bad: list[BadRow] = []
    counts: dict[str, int] = {}
    total = 0
    for item in config.data.files:
        path = config.path_of(item.path)
        good, skipped, seen = _read_file(path, method)
        if seen == 0:
            raise ConfigError(f"{path}: the data file has no rows; give a JSONL file with one "
                              f"{_shape(method)} object per line")
        counts[item.path] = len(good)
        rows += good
        bad += skipped
        total += seen
    if len(bad) > config.data.max_bad_fraction * total:
        shown = "\n".join(f"  - {b}" for b in bad[:10])
        more = f"\n  … and {len(bad) - 10} more" if len(bad) > 10 else ""
        raise ConfigError(
            f"{len(bad)} of {total} data rows are malformed (more than data.max_bad_fraction="
            f"{config.data.max_bad_fraction}):\n{shown}{more}\n    fix: repair those lines, "
            f"or raise data.max_bad_fraction to skip them")
    if not rows:
        raise ConfigError("no usable data rows; every row was malformed")
    rng = random.Random(config.train.seed)
    rng.shuffle(rows)
    if config.data.max_rows:
        rows = rows[: config.data.max_rows]
    held = min(config.data.eval_max_rows, int(len(rows) * config.data.eval_fraction))
    if config.data.eval_fraction > 0 and held == 0 and len(rows) > 1:
        held = 1
    return Dataset(train=rows[held:], eval=rows[:held], bad=bad, rows_per_file=counts)


def _shape(method: Method) -> str:
    return ('{"prompt", "chosen", "rejected"}' if method == "dpo"
            else '{"messages": [...]} or {"prompt", "completion"}')


def _read_file(path: Path, method: Method) -> tuple[list[dict[str, Any]], list[BadRow], int]:
    if not path.exists():
        raise ConfigError(f"data file {path} does not exist; fix data.files[].path "
                          f"(relative to the config file)")
    good: list[dict[str, Any]] = []
    bad: list[BadRow] = []

    def skip(number: int, reason: str) -> None:
        bad.append(BadRow(str(path), number, reason))

    for number, row in json_lines(path, "data file", "give a UTF-8 JSONL file", on_bad=skip):
        try:
            good.append(parse_row(row, method))
        except ValueError as exc:
            skip(number, str(exc))
    return good, bad, len(good) + len(bad)


def parse_row(row: Any, method: Method) -> dict[str, Any]:
    """One JSON row as TRL conversational data; ValueError says what is wrong."""
    if not isinstance(row, dict):
        raise ValueError(f"expected a JSON object, got {type(row).__name__}")
    if method == "dpo":
        _require(row, ("prompt", "chosen", "rejected"))
        prompt = _prompt(row["prompt"])
        chosen, rejected = _text(row, "chosen"), _text(row, "rejected")
        if chosen == rejected:
            raise ValueError("'chosen' and 'rejected' are the same text")
        return {"prompt": prompt, "chosen": [_assistant(chosen)], "rejected": [_assistant(rejected)]}
    if "messages" in row:
        messages = _messages(row["messages"], "messages")
        if messages[-1]["role"] != "assistant":
            raise ValueError("the last message must be the assistant's answer (the part trained on)")
        if len(messages) < 2:
            raise ValueError("'messages' needs a prompt turn before the assistant's answer")
        return {"prompt": messages[:-1], "completion": messages[-1:]}
    _require(row, ("prompt", "completion"))
    return {"prompt": _prompt(row["prompt"]), "completion": [_assistant(_text(row, "completion"))]}


def _require(row: dict[str, Any], keys: tuple[str, ...]) -> None:
    missing = [k for k in keys if k not in row]
    if missing:
        raise ValueError(f"missing {', '.join(repr(k) for k in missing)} (has {sorted(row) or 'no keys'})")


def _text(row: dict[str, Any], key: str) -> str:
    value = row[key]
    if not isinstance(value, str):
        raise ValueError(f"{key!r} must be a string, got {type(value).__name__}")
    if not value.strip():
        raise ValueError(f"{key!r} is empty")
    return value


def _prompt(value: Any) -> list[Message]:
    if isinstance(value, str):
        if not value.strip():
            raise ValueError("'prompt' is empty")
        return [{"role": "user", "content": value}]
    messages = _messages(value, "prompt")
    if messages[-1]["role"] == "assistant":
        raise ValueError("'prompt' must not end with an assistant message")
    return messages


def _messages(value: Any, key: str) -> list[Message]:
    if not isinstance(value, list) or not value:
        raise ValueError(f"{key!r} must be a non-empty list of {{role, content}} objects")
    out = []
    for index, message in enumerate(value):
        if not isinstance(message, dict) or message.get("role") not in ROLES:
            raise ValueError(f"{key}[{index}] needs a role among {', '.join(ROLES)}")
        content = message.get("content")
        if not isinstance(content, str) or not content.strip():
            raise ValueError(f"{key}[{index}] has an empty or non-string 'content'")
        out.append({"role": message["role"], "content": content})
    return out


def _assistant(text: str) -> Message:
    return {"role": "assistant", "content": text}

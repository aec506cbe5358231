"""One JSON Lines reader: UTF-8 text, blank lines skipped, one JSON value per line, and
errors that name file:line and the fix."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Protocol

from agentkit.errors import ConfigError, Problem, read_text

JSON_LINES_FIX = "each line must be one complete JSON object (JSON Lines, UTF-8)"


def loads_json(text: str | bytes) -> Any:
    """`json.loads`; a value nested deeper than the parser can go is a `JSONDecodeError`
    like any other bad JSON (Python's parser raises RecursionError)."""
    try:
        return json.loads(text)
    except RecursionError:
        raise json.JSONDecodeError("nested too deeply", "", 0) from None


class LineErrorFactory(Protocol):
    """An error class taking `(message, *, file, line, hint)` (LineError, BfclDataError, ...)."""

    def __call__(self, message: str, *, file: Path | None = None, line: int | None = None,
                 hint: str | None = None) -> Exception: ...


class LineError(ConfigError):
    """A data file (or one line of it) cannot be used: the message names file:line and the fix."""

    def __init__(self, message: str, *, file: Path | None = None, line: int | None = None,
                 hint: str | None = None) -> None:
        super().__init__(str(Problem(message, file=str(file) if file else None, line=line, hint=hint)))


def json_lines(path: Path, what: str, fix: str, *, error: LineErrorFactory = LineError,
               objects: bool = False,
               on_bad: Callable[[int, str], None] | None = None) -> Iterator[tuple[int, Any]]:
    """(line number, parsed value) for every non-blank line of `path`.

    An unreadable file raises `error("cannot read WHAT PATH: why ...")`. A line that is not
    JSON (or, with `objects`, not a JSON object) raises `error(reason, file=path, line=n,
    hint=fix)`; with `on_bad`, it is passed `(n, reason)` and skipped instead."""
    text = read_text(path, what, fix, error=error)
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            value = loads_json(raw)
        except json.JSONDecodeError as exc:
            reason = f"not valid JSON ({exc.msg} at column {exc.colno})"
        else:
            if not objects or isinstance(value, dict):
                yield number, value
                continue
            reason = f"expected a JSON object, got {type(value).__name__}"
        if on_bad is None:
            raise error(reason, file=path, line=number, hint=fix)
        on_bad(number, reason)

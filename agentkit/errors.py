"""Errors that say what went wrong, where, and how to fix it."""

from __future__ import annotations

from dataclasses import dataclass
from difflib import get_close_matches
from typing import Iterable


class AgentkitError(Exception):
    """Base class: every error agentkit raises on purpose derives from it."""


@dataclass(frozen=True)
class Problem:
    """One finding about a graph file: what is wrong, where, and how to fix it."""

    message: str
    key: str = ""
    file: str | None = None
    line: int | None = None
    hint: str | None = None

    def __str__(self) -> str:
        where = ":".join(str(part) for part in (self.file, self.line) if part is not None)
        parts = [p for p in (where, self.key) if p]
        text = f"{': '.join(parts)}: {self.message}" if parts else self.message
        return f"{text}\n    fix: {self.hint}" if self.hint else text


class GraphSpecError(AgentkitError):
    """A graph file (or a GraphSpec built in code) is not valid."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = list(problems)
        count = len(self.problems)
        header = f"{count} problem{'s' if count != 1 else ''} in graph spec"
        super().__init__(header + ":\n" + "\n".join(f"  - {p}" for p in self.problems))


class ConfigError(AgentkitError):
    """A resource, model or tool was configured in a way that cannot work."""


class RunError(AgentkitError):
    """A graph run could not finish (step limit, failing node, ...)."""


def suggest(name: str, known: Iterable[str]) -> str:
    """A 'did you mean' phrase for an unknown name, listing what exists."""
    known = sorted(known)
    close = get_close_matches(name, known, n=3, cutoff=0.6)
    if close:
        return "did you mean " + " or ".join(repr(c) for c in close) + "?"
    if not known:
        return "none are defined"
    return "known: " + ", ".join(known)

"""Errors that say what went wrong, where, and how to fix it."""

from __future__ import annotations

from dataclasses import dataclass
from difflib import get_close_matches
from pathlib import Path
from typing import Callable, Iterable


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


class ProblemsError(AgentkitError):
    """Problems found in a file, each with its file:line:key and fix, under a header
    `N problems in WHAT:` (`what` is set by each subclass)."""

    what = "file"

    def __init__(self, problems: Iterable[Problem]):
        self.problems = list(problems)
        count = len(self.problems)
        header = f"{count} problem{'s' if count != 1 else ''} in {self.what}"
        super().__init__(header + ":\n" + "\n".join(f"  - {p}" for p in self.problems))


class GraphSpecError(ProblemsError):
    """A graph file (or a GraphSpec built in code) is not valid."""

    what = "graph spec"


class ConfigError(AgentkitError):
    """A resource, model or tool was configured in a way that cannot work."""


class YamlFileError(ProblemsError, ConfigError):
    """A YAML config file (eval suite, fine-tuning config, ...) is not valid."""


class RunError(AgentkitError):
    """A graph run could not finish (step limit, failing node, ...)."""


class ContextLengthError(AgentkitError):
    """A prompt plus the tokens to generate do not fit the model's context window."""

    def __init__(self, model: str, prompt_tokens: int, max_tokens: int, limit: int, where: str = ""):
        self.model, self.prompt_tokens, self.max_tokens, self.limit = model, prompt_tokens, max_tokens, limit
        self.where = where
        self.overflow = prompt_tokens + max_tokens - limit
        prefix = f"{where}: " if where else ""
        super().__init__(
            f"{prefix}the prompt does not fit the context of {model}: {prompt_tokens:,} prompt tokens "
            f"+ {max_tokens:,} to generate = {prompt_tokens + max_tokens:,} > {limit:,} tokens "
            f"(over by {self.overflow:,}). Shorten the input, lower max_tokens, or let the llm node "
            f"drop older turns with `history: {{max_tokens: N}}`"
        )

    def at(self, where: str) -> ContextLengthError:
        """The same error, saying where it happened (e.g. which node)."""
        return ContextLengthError(self.model, self.prompt_tokens, self.max_tokens, self.limit, where)


def suggest(name: str, known: Iterable[str]) -> str:
    """A 'did you mean' phrase for an unknown name, listing what exists."""
    known = sorted(known)
    close = get_close_matches(name, known, n=3, cutoff=0.6)
    if close:
        return "did you mean " + " or ".join(repr(c) for c in close) + "?"
    if not known:
        return "none are defined"
    return "known: " + ", ".join(known)


def read_text(path: Path, what: str, fix: str,
              error: Callable[[str], Exception] = ConfigError) -> str:
    """The UTF-8 text of `path`, or a ConfigError (or `error(message)`): `cannot read WHAT
    PATH: why` and the fix."""
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        why = getattr(exc, "strerror", None) or str(exc)
        raise error(f"cannot read {what} {path}: {why}\n    fix: {fix}") from None

"""Limits on a graph file, so hostile YAML fails fast with a clear error instead of
eating memory and time: its size, its nesting, the values it holds, and the values its
aliases may produce. The shipped graphs are a few KiB, hold a few hundred values and nest
5 deep, so no real graph file comes near them."""

from __future__ import annotations

from typing import Any

import yaml

from agentkit.errors import GraphSpecError, Problem

MAX_FILE_BYTES = 1024 * 1024
MAX_DEPTH = 50
MAX_VALUES = 50_000
MAX_ALIAS_VALUES = 10_000


def file_too_large(size: int, file: str | None) -> GraphSpecError:
    """The error for a graph file of at least `size` bytes (or characters), over MAX_FILE_BYTES."""
    return GraphSpecError([Problem(
        message=f"graph file is over the 1 MiB limit for graph files ({size:,} bytes or more, "
                f"at most {MAX_FILE_BYTES:,} allowed)",
        file=file,
        hint="a graph file only describes state, nodes and edges; keep documents and data in separate files",
    )])


def limit_problem(message: str, line: int, file: str | None, key: str = "") -> Problem:
    """A Problem for input that crosses one of the limits, with the way out."""
    return Problem(message=message, key=key, file=file, line=line,
                   hint="graph files need only a few levels and values; write repeated parts out "
                        f"instead (limits: {MAX_DEPTH} levels, {MAX_VALUES:,} values, "
                        f"{MAX_ALIAS_VALUES:,} values from aliases)")


class BoundedLoader(yaml.SafeLoader):
    """A SafeLoader whose composer stops at MAX_DEPTH nested collections and at MAX_VALUES
    values (its recursion would otherwise end in a RecursionError)."""

    def __init__(self, stream: str, file: str | None = None):
        super().__init__(stream)
        self._file = file
        self._depth = 0
        self._values = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        """Compose one node, counting it and the collections around it."""
        self._values += 1
        if self._depth > MAX_DEPTH or self._values > MAX_VALUES:
            line = self.peek_event().start_mark.line + 1
            message = (f"YAML nested more than {MAX_DEPTH} levels deep" if self._depth > MAX_DEPTH
                       else f"more than {MAX_VALUES:,} values in one graph file")
            raise GraphSpecError([limit_problem(message, line, self._file)])
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

"""A composed YAML tree as plain data, with the line of every key path. An alias becomes
a copy of its anchor's value; the values those copies produce are bounded."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, NoReturn

import yaml

from agentkit.errors import GraphSpecError, Problem
from agentkit.spec.bounds import MAX_ALIAS_VALUES, MAX_DEPTH, limit_problem

KeyPath = tuple[str | int, ...]
_RECURSIVE_HINT = "an anchor (&name) cannot be used inside its own value; write that part out"


def format_key(path: KeyPath) -> str:
    """`('edges', 2, 'routes')` -> `edges[2].routes`."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


class Expander:
    """Expand a tree once: `data(root, ())`, then read `lines` and `problems`."""

    def __init__(self, file: str | None):
        self.file = file
        self.lines: dict[KeyPath, int] = {}
        self.problems: list[Problem] = []
        self._constructor = yaml.SafeLoader("")
        self._seen: set[int] = set()
        self._open: set[int] = set()
        self._alias_values = 0

    def data(self, node: yaml.Node, path: KeyPath) -> Any:
        """The value of `node` at `path`; a node met again was reached through an alias."""
        if id(node) in self._open:
            self._stop(node, path, "an alias (*name) refers to a value that contains it (a recursive alias)",
                       _RECURSIVE_HINT)
        if id(node) in self._seen:
            self._spend(node, path)
        self._seen.add(id(node))
        if len(path) > MAX_DEPTH:
            self._stop(node, path, f"YAML nested more than {MAX_DEPTH} levels deep (counting through aliases)")
        self.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node, path)
        self._open.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                return [self.data(item, path + (i,)) for i, item in enumerate(node.value)]
            return self._mapping(node, path)
        finally:
            self._open.discard(id(node))

    def _mapping(self, node: yaml.MappingNode, path: KeyPath) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        explicit, merged = self._pairs(node, path, 0)
        for pairs, is_merged in ((explicit, False), (merged, True)):
            for key_node, value_node in pairs:
                key = self._key(key_node, path)
                if key is None or (is_merged and key in result):
                    continue
                line = key_node.start_mark.line + 1
                if key in result:
                    self.problems.append(Problem(
                        message=f"duplicate key {key!r} (first at line {self.lines[path + (key,)]})",
                        key=format_key(path + (key,)), file=self.file, line=line,
                        hint="remove one of the two; YAML would silently keep only the last",
                    ))
                    continue
                self.lines[path + (key,)] = line
                result[key] = self.data(value_node, path + (key,))
        return result

    def _pairs(self, node: yaml.MappingNode, path: KeyPath, depth: int) -> tuple[list[Any], list[Any]]:
        """The key/value node pairs written in `node`, and those merged in with `<<:`
        (YAML merge keys: written keys win, then the first merged mapping)."""
        if depth > MAX_DEPTH:
            self._stop(node, path, f"`<<` merges nested more than {MAX_DEPTH} levels deep")
        explicit: list[Any] = []
        merged: list[Any] = []
        for key_node, value_node in node.value:
            if key_node.tag != "tag:yaml.org,2002:merge":
                explicit.append((key_node, value_node))
                continue
            sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
            for source in sources:
                if not isinstance(source, yaml.MappingNode):
                    self.problems.append(Problem(
                        message="`<<` merges a mapping or a list of mappings", key=format_key(path),
                        file=self.file, line=source.start_mark.line + 1,
                        hint="write `<<: *name` where `&name` marks a mapping",
                    ))
                    continue
                if id(source) in self._open:
                    self._stop(source, path, "a `<<` merge includes the mapping that contains it (a recursive alias)",
                               _RECURSIVE_HINT)
                self._open.add(id(source))
                try:
                    own, inherited = self._pairs(source, path, depth + 1)
                finally:
                    self._open.discard(id(source))
                for pair in own + inherited:
                    self._spend(pair[0], path)
                    merged.append(pair)
        return explicit, merged

    def _key(self, node: yaml.Node, path: KeyPath) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            self.problems.append(Problem(
                message="a key must be a plain name or number, not a list or mapping",
                key=format_key(path), file=self.file, line=node.start_mark.line + 1,
                hint="write the key as text",
            ))
            return None
        key = self._scalar(node, path)
        return key if isinstance(key, (str, int)) else str(key)

    def _scalar(self, node: yaml.ScalarNode, path: KeyPath) -> Any:
        try:
            return self._constructor.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError) as exc:
            why = exc.problem if isinstance(exc, yaml.MarkedYAMLError) else str(exc).split(";")[0]
            self.problems.append(Problem(
                message=f"bad value {node.value[:40]!r}: {why}", key=format_key(path), file=self.file,
                line=node.start_mark.line + 1, hint="quote the value to keep it as text",
            ))
            return None

    def _spend(self, node: yaml.Node, path: KeyPath) -> None:
        self._alias_values += 1
        if self._alias_values > MAX_ALIAS_VALUES:
            self._stop(node, path, f"aliases (*name) expand to more than {MAX_ALIAS_VALUES:,} values "
                                   "(a YAML 'alias bomb')")

    def _stop(self, node: yaml.Node, path: KeyPath, message: str, hint: str | None = None) -> NoReturn:
        problem = limit_problem(message, node.start_mark.line + 1, self.file, format_key(path))
        raise GraphSpecError([replace(problem, hint=hint) if hint else problem])

"""Read graph files: YAML with line numbers, so every error can name file:line:key."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

import yaml
from pydantic import ValidationError
from yaml.reader import ReaderError

from agentkit.errors import GraphSpecError, Problem, suggest
from agentkit.spec.bounds import MAX_FILE_BYTES, BoundedLoader, file_too_large
from agentkit.spec.models import EDGE_TAGS, GraphSpec
from agentkit.spec.yaml_data import Expander, KeyPath, format_key


@dataclass(frozen=True)
class SourceMap:
    """Where each key of a graph file stands: file name and 1-based lines."""

    file: str | None = None
    lines: dict[KeyPath, int] = field(default_factory=dict)

    def line_of(self, path: KeyPath) -> int | None:
        """Line of the longest prefix of `path` that the file contains."""
        for end in range(len(path), -1, -1):
            if (line := self.lines.get(tuple(path[:end]))) is not None:
                return line
        return None

    def problem(self, path: KeyPath, message: str, hint: str | None = None) -> Problem:
        """A Problem located at `path` in this file."""
        return Problem(
            message=message,
            key=format_key(path),
            file=self.file,
            line=self.line_of(path),
            hint=hint,
        )


def parse_yaml(text: str, file: str | None = None) -> tuple[Any, SourceMap]:
    """Parse YAML into plain data plus a map from key paths to lines, within the limits
    of `agentkit.spec.bounds` (size, depth, values, alias expansion)."""
    if len(text) > MAX_FILE_BYTES:
        raise file_too_large(len(text), file)
    try:
        loader = BoundedLoader(text, file)
        try:
            root = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise GraphSpecError([
            Problem(
                message=f"malformed YAML: {exc.problem or exc}",
                file=file,
                line=mark.line + 1 if mark else None,
                hint="fix the YAML syntax at that line (indentation, a missing ':' or quote)",
            )
        ]) from None
    except ReaderError as exc:
        raise GraphSpecError([Problem(
            message=f"malformed YAML: character #x{_code(exc.character):04x} is not allowed in YAML",
            file=file, line=text.count("\n", 0, exc.position) + 1,
            hint='remove it, or write it as an escape such as "\\x07" inside double quotes',
        )]) from None
    except yaml.YAMLError as exc:
        raise GraphSpecError([Problem(message=f"malformed YAML: {exc}", file=file)]) from None
    if root is None:
        return None, SourceMap(file, {(): 1})
    expander = Expander(file)
    data = expander.data(root, ())
    if expander.problems:
        raise GraphSpecError(expander.problems)
    return data, SourceMap(file, expander.lines)


def _code(character: int | str) -> int:
    return character if isinstance(character, int) else ord(character)


def spec_from_data(data: Any, source: SourceMap | None = None) -> GraphSpec:
    """Validate plain data as a GraphSpec; errors carry file, line and key."""
    source = source or SourceMap()
    if not isinstance(data, dict):
        got = "an empty file" if data is None else type(data).__name__
        raise GraphSpecError([source.problem(
            (), f"a graph file must be a mapping, got {got}",
            hint="start the file with `name: my_graph` and add state, nodes and edges",
        )])
    try:
        spec = GraphSpec.model_validate(data)
    except ValidationError as exc:
        raise GraphSpecError(_problems_from(exc, source)) from None
    spec._source = source
    return spec


def _add_key(path: KeyPath) -> str:
    return f"add `{path[-1]}:` at that place"


def validation_problems(
    exc: ValidationError, source: SourceMap, allowed: Callable[[KeyPath], Iterable[str]], *,
    prefix: KeyPath = (), locate: Callable[[tuple[Any, ...]], KeyPath] = tuple,
    missing_hint: Callable[[KeyPath], str] = _add_key,
    value_hint: Callable[[KeyPath], str | None] = lambda path: None,
) -> list[Problem]:
    """Pydantic errors as problems located in `source` (file:line:key + fix): an unknown key
    suggests one of `allowed(path)`, a missing key says to add it (`missing_hint`), any other
    error keeps pydantic's message with `value_hint(path)`. `prefix` is where the validated
    part sits in the file; `locate` turns an error's `loc` into a key path."""
    problems = []
    for error in exc.errors():
        path = prefix + locate(error["loc"])
        name = str(path[-1]) if path else ""
        if error["type"] == "extra_forbidden":
            problems.append(source.problem(path, f"unknown key {name!r}",
                                           f"remove it or fix its spelling: {suggest(name, allowed(path))}"))
        elif error["type"] == "missing":
            problems.append(source.problem(path, f"required key {name!r} is missing", missing_hint(path)))
        else:
            problems.append(source.problem(path, error["msg"].removeprefix("Value error, "), value_hint(path)))
    return problems


def _problems_from(exc: ValidationError, source: SourceMap) -> list[Problem]:
    return validation_problems(exc, source, _allowed_keys, locate=_strip_tags,
                               missing_hint=_missing_hint, value_hint=_value_hint)


def _strip_tags(loc: tuple[Any, ...]) -> KeyPath:
    if loc[-1:] == ("[key]",):
        loc = loc[:-1]
    if len(loc) >= 3 and loc[0] == "edges" and loc[2] in EDGE_TAGS:
        return tuple(loc[:2]) + tuple(loc[3:])
    return tuple(loc)


def _allowed_keys(path: KeyPath) -> list[str]:
    from agentkit.spec.models import ChannelSpec, Edge, Limits, RouteEdge

    parent = path[:-1]
    if len(parent) == 0:
        return list(GraphSpec.model_fields)
    model = {"limits": Limits}.get(str(parent[0])) if len(parent) == 1 else None
    if parent[:1] == ("state",) and len(parent) == 2:
        model = ChannelSpec
    if parent[:1] == ("edges",) and len(parent) == 2:
        return sorted({f.alias or n for m in (Edge, RouteEdge) for n, f in m.model_fields.items()})
    return list(model.model_fields) if model else []


def _missing_hint(path: KeyPath) -> str:
    if path[-1] == "kind":
        return "add `kind: <node kind>` (list them with `agentkit nodes`)"
    return _add_key(path)


def _value_hint(path: KeyPath) -> str | None:
    if path and path[0] == "edges":
        return "write an edge as `[from, to]` or `{from: node, routes: {label: target}}`"
    return None


def load_spec(path: str | Path) -> GraphSpec:
    """Load and validate a graph file (structure only; `validate_spec` checks the rest)."""
    path = Path(path)
    try:
        with path.open("rb") as stream:
            raw = stream.read(MAX_FILE_BYTES + 1)
            if len(raw) > MAX_FILE_BYTES:
                raise file_too_large(max(len(raw), os.fstat(stream.fileno()).st_size), str(path))
        text = raw.decode("utf-8")
    except FileNotFoundError:
        raise GraphSpecError([Problem(
            message="graph file not found", file=str(path),
            hint="check the path; predefined graphs live in graphs/",
        )]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise GraphSpecError([Problem(message=f"cannot read graph file: {exc}", file=str(path))]) from None
    data, source = parse_yaml(text, str(path))
    spec = spec_from_data(data, source)
    spec._base_dir = path.resolve().parent
    return spec

"""Read graph files: YAML with line numbers, so every error can name file:line:key."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from agentkit.errors import GraphSpecError, Problem, suggest
from agentkit.spec.models import EDGE_TAGS, GraphSpec

KeyPath = tuple[str | int, ...]


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


def format_key(path: KeyPath) -> str:
    """`('edges', 2, 'routes')` -> `edges[2].routes`."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def parse_yaml(text: str, file: str | None = None) -> tuple[Any, SourceMap]:
    """Parse YAML into plain data plus a map from key paths to lines."""
    lines: dict[KeyPath, int] = {}
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
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
    except yaml.YAMLError as exc:
        raise GraphSpecError([Problem(message=f"malformed YAML: {exc}", file=file)]) from None
    if root is None:
        return None, SourceMap(file, lines)
    constructor = yaml.SafeLoader("")
    problems: list[Problem] = []
    data = _to_data(root, (), lines, constructor, problems, file)
    if problems:
        raise GraphSpecError(problems)
    return data, SourceMap(file, lines)


def _to_data(
    node: yaml.Node,
    path: KeyPath,
    lines: dict[KeyPath, int],
    constructor: yaml.SafeLoader,
    problems: list[Problem],
    file: str | None,
) -> Any:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        constructor.flatten_mapping(node)
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = constructor.construct_object(key_node, deep=True)
            if not isinstance(key, (str, int)):
                key = str(key)
            line = key_node.start_mark.line + 1
            if key in result:
                problems.append(Problem(
                    message=f"duplicate key {key!r} (first at line {lines[path + (key,)]})",
                    key=format_key(path + (key,)), file=file, line=line,
                    hint="remove one of the two; YAML would silently keep only the last",
                ))
                continue
            lines[path + (key,)] = line
            result[key] = _to_data(value_node, path + (key,), lines, constructor, problems, file)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [
            _to_data(item, path + (i,), lines, constructor, problems, file)
            for i, item in enumerate(node.value)
        ]
    try:
        return constructor.construct_object(node, deep=True)
    except yaml.YAMLError as exc:
        problems.append(Problem(message=f"bad value: {exc}", key=format_key(path), file=file,
                                line=node.start_mark.line + 1, hint="quote the value"))
        return None


def spec_from_data(data: Any, source: SourceMap | None = None) -> GraphSpec:
    """Validate plain data as a GraphSpec; errors carry file, line and key."""
    source = source or SourceMap()
    if not isinstance(data, dict):
        raise GraphSpecError([source.problem(
            (), f"a graph file must be a mapping, got {type(data).__name__}",
            hint="start the file with `name: my_graph` and add state, nodes and edges",
        )])
    try:
        spec = GraphSpec.model_validate(data)
    except ValidationError as exc:
        raise GraphSpecError(_problems_from(exc, source)) from None
    spec._source = source
    return spec


def _problems_from(exc: ValidationError, source: SourceMap) -> list[Problem]:
    problems = []
    for error in exc.errors():
        path = _strip_tags(error["loc"])
        problems.append(source.problem(path, _message(error, path), _hint(error, path)))
    return problems


def _strip_tags(loc: tuple[Any, ...]) -> KeyPath:
    if len(loc) >= 3 and loc[0] == "edges" and loc[2] in EDGE_TAGS:
        return tuple(loc[:2]) + tuple(loc[3:])
    return tuple(loc)


def _message(error: Any, path: KeyPath) -> str:
    if error["type"] == "extra_forbidden":
        return f"unknown key {path[-1]!r}"
    if error["type"] == "missing":
        return f"required key {path[-1]!r} is missing"
    return error["msg"].removeprefix("Value error, ")


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


def _hint(error: Any, path: KeyPath) -> str | None:
    if error["type"] == "extra_forbidden":
        return f"remove it or fix its spelling: {suggest(str(path[-1]), _allowed_keys(path))}"
    if error["type"] == "missing":
        if path[-1] == "kind":
            return "add `kind: <node kind>` (list them with `agentkit nodes`)"
        return f"add `{path[-1]}:` at that place"
    if path and path[0] == "edges":
        return "write an edge as `[from, to]` or `{from: node, routes: {label: target}}`"
    return None


def load_spec(path: str | Path) -> GraphSpec:
    """Load and validate a graph file (structure only; `validate_spec` checks the rest)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
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

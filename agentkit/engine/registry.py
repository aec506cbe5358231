"""Node kinds, resource kinds and tools: decorators mark them, a `Registry` collects them.

`@node_kind` and `@resource_kind` attach a definition to a factory and return it
unchanged; a LangChain tool (`@tool`) is a definition as it is. A `Registry` collects
definitions from modules: agentkit's built-ins and other packages' through the entry
point groups `agentkit.nodes` and `agentkit.tools`, the tools in a workspace's `tools/`
folder, and whatever `Registry.collect` is given.
"""

from __future__ import annotations

import importlib.util
import inspect
import sys
import threading
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from types import ModuleType
from typing import Any, Callable, Iterable, Iterator, TypeVar, get_type_hints

from langchain_core.tools import BaseTool
from langchain_core.tools import tool as lc_tool
from pydantic import BaseModel

from agentkit.errors import ConfigError

NodeFunction = Callable[..., dict[str, Any]]
"""A LangGraph node function: `(state, config) -> update`."""
NodeCheck = Callable[[Any, Any], Iterable[tuple[tuple[str | int, ...], str, str | None]]]
NODE_ENTRY_POINTS = "agentkit.nodes"
TOOL_ENTRY_POINTS = "agentkit.tools"
BUILTIN_DISTRIBUTION = "agentkit"
_MARK = "__agentkit_definitions__"
F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class NodeKind:
    """A node factory: validated params in, a LangGraph node function out."""

    name: str
    params_model: type[BaseModel]
    build: Callable[[Any, Any], NodeFunction]
    description: str
    route_labels: Callable[[Any], Iterable[str]] | None = None
    check: NodeCheck | None = None


@dataclass(frozen=True)
class ResourceKind:
    """A resource factory (a model, a store, ...): validated params in, an object out."""

    name: str
    params_model: type[BaseModel]
    build: Callable[..., Any]
    description: str
    workspace_scoped: bool = False
    """Built as `factory(params, workspace)` and shared per workspace (e.g. a store folder)."""


Definition = NodeKind | ResourceKind | BaseTool


# -- marking --------------------------------------------------------------------------
def node_kind(
    name: str, *, route_labels: Callable[[Any], Iterable[str]] | None = None, check: NodeCheck | None = None
) -> Callable[[F], F]:
    """Mark `factory(params, ctx) -> node function` as node kind `name`."""

    def mark(factory: F) -> F:
        return _mark(factory, NodeKind(name, _params_model(factory, "node kind"), factory, _doc(factory),
                                       route_labels, check))

    return mark


def resource_kind(name: str, *, workspace_scoped: bool = False) -> Callable[[F], F]:
    """Mark `factory(params) -> object` as resource kind `name`; with `workspace_scoped`,
    `factory(params, workspace)`, one object per workspace."""

    def mark(factory: F) -> F:
        return _mark(factory, ResourceKind(name, _params_model(factory, "resource kind"), factory,
                                           _doc(factory), workspace_scoped))

    return mark


tool = lc_tool
"""LangChain's `@tool`: the tool it makes is a definition as it is."""


def _mark(factory: F, definition: NodeKind | ResourceKind) -> F:
    setattr(factory, _MARK, (*inspect.getattr_static(factory, _MARK, ()), definition))
    return factory


def _params_model(factory: Callable[..., Any], what: str) -> type[BaseModel]:
    first = next(iter(inspect.signature(factory).parameters), None)
    hint = get_type_hints(factory).get(first) if first else None
    if not (isinstance(hint, type) and issubclass(hint, BaseModel)):
        raise TypeError(
            f"{what} factory {factory.__qualname__} must take a pydantic params model as its "
            f"first, annotated argument"
        )
    return hint


def _doc(factory: Callable[..., Any]) -> str:
    return (inspect.getdoc(factory) or "").split("\n\n")[0].replace("\n", " ")


def definitions_in(source: Any) -> list[Definition]:
    """The definitions `source` holds: a marked factory's, a tool, or those of a module
    (a package's include the submodules it imports)."""
    return list(_walk(source, set()))


def _walk(source: Any, seen: set[int]) -> Iterator[Definition]:
    if isinstance(source, (NodeKind, ResourceKind, BaseTool)):
        yield source
    elif isinstance(source, ModuleType):
        if id(source) in seen:
            return
        seen.add(id(source))
        for value in list(vars(source).values()):
            if not isinstance(value, ModuleType) or _is_submodule(value, source):
                yield from _walk(value, seen)
    elif callable(source):
        marks = inspect.getattr_static(source, _MARK, ())
        yield from (m for m in marks if isinstance(m, (NodeKind, ResourceKind)))


def _is_submodule(module: ModuleType, package: ModuleType) -> bool:
    return hasattr(package, "__path__") and module.__name__.startswith(package.__name__ + ".")


def _origin(definition: Definition) -> str:
    if isinstance(definition, BaseTool):
        target: Any = getattr(definition, "func", None) or getattr(definition, "coroutine", None) or definition
    else:
        target = definition.build
    return f"{getattr(target, '__module__', '?')}.{getattr(target, '__qualname__', type(target).__name__)}"


# -- collecting -----------------------------------------------------------------------
class Registry:
    """Names to node kinds, resource kinds and tools.

    It holds agentkit's built-ins (`builtins`) and the entry points of other installed
    packages (`plugins`), found on first lookup, plus what `collect` adds;
    `Registry(builtins=False, plugins=False)` starts empty."""

    def __init__(self, *, builtins: bool = True, plugins: bool = True) -> None:
        self._nodes: dict[str, NodeKind] = {}
        self._resources: dict[str, ResourceKind] = {}
        self._tools: dict[str, BaseTool] = {}
        self._builtins, self._plugins = builtins, plugins
        self._discovered = not (builtins or plugins)
        self._lock = threading.RLock()
        self._workspace_tools: dict[Path, dict[str, tuple[BaseTool, Path]]] = {}

    def collect(self, *sources: Any) -> Registry:
        """Add the definitions of each source: a module (a package: with the submodules
        it imports), a decorated factory, or a tool. Returns the registry."""
        self._discover()  # a clash with a built-in or a plugin shows here, not at first use
        for source in sources:
            found = definitions_in(source)
            if not found:
                raise TypeError(
                    f"{source!r} holds no node kind, resource kind or tool: decorate factories "
                    f"with @node_kind or @resource_kind and tools with @tool"
                )
            for definition in found:
                self._add(definition)
        return self

    def _add(self, definition: Definition) -> None:
        table: dict[str, Any]
        if isinstance(definition, NodeKind):
            table, what = self._nodes, "node kind"
        elif isinstance(definition, ResourceKind):
            table, what = self._resources, "resource kind"
        else:
            table, what = self._tools, "tool"
        existing = table.get(definition.name)
        if existing is not None and _origin(existing) != _origin(definition):
            raise ConfigError(
                f"{what} {definition.name!r} is registered twice ({_origin(existing)} and "
                f"{_origin(definition)}); rename one of them"
            )
        table[definition.name] = definition

    # -- lookup -------------------------------------------------------------------
    def node_kinds(self) -> dict[str, NodeKind]:
        """All node kinds."""
        self._discover()
        return dict(self._nodes)

    def resource_kinds(self) -> dict[str, ResourceKind]:
        """All resource kinds."""
        self._discover()
        return dict(self._resources)

    def tools(self, workspace: Path | None = None) -> dict[str, BaseTool]:
        """All tools, plus those in `workspace/tools/*.py`."""
        self._discover()
        found = dict(self._tools)
        for name, (tool, file) in self._load_workspace_tools(workspace / "tools").items() if workspace else ():
            if name in found:
                raise ConfigError(
                    f"tool {name!r} in {file} is also registered by {_origin(found[name])}; "
                    f"rename one of them"
                )
            found[name] = tool
        return found

    # -- discovery ----------------------------------------------------------------
    def _discover(self) -> None:
        with self._lock:
            if self._discovered:
                return
            self._discovered = True  # a plugin looking names up while it loads sees what is there
            try:
                self._load_entry_points()
            except BaseException:
                self._discovered = False
                raise

    def _load_entry_points(self) -> None:
        builtin_found = False
        for group in (NODE_ENTRY_POINTS, TOOL_ENTRY_POINTS):
            for ep in entry_points(group=group):
                builtin = _distribution(ep) == BUILTIN_DISTRIBUTION
                builtin_found |= builtin
                if self._builtins if builtin else self._plugins:
                    self._collect_entry_point(ep)
        if self._builtins and not builtin_found:
            raise ConfigError(
                f"agentkit's built-in node kinds are missing: the {BUILTIN_DISTRIBUTION!r} distribution "
                f"declares no {NODE_ENTRY_POINTS!r} entry point; install agentkit (`pip install -e .`)"
            )

    def _collect_entry_point(self, ep: EntryPoint) -> None:
        where = f"entry point {ep.name!r} ({ep.value}) of {_distribution(ep)} in group {ep.group!r}"
        try:
            loaded = ep.load()
        except Exception as exc:  # a broken plugin must say which one it is
            raise ConfigError(f"{where} failed to load: {exc}; fix or uninstall the package that declares it") from exc
        found = definitions_in(loaded)
        if not found:
            raise ConfigError(
                f"{where} holds no node kind, resource kind or tool; point it at a module or an "
                f"object decorated with @node_kind, @resource_kind or @tool"
            )
        for definition in found:
            self._add(definition)

    def _load_workspace_tools(self, folder: Path) -> dict[str, tuple[BaseTool, Path]]:
        folder = folder.resolve()
        with self._lock:
            if folder not in self._workspace_tools:
                self._workspace_tools[folder] = _workspace_tools(folder)
            return self._workspace_tools[folder]


def _distribution(ep: EntryPoint) -> str | None:
    return ep.dist.name.lower().replace("_", "-") if ep.dist is not None else None


def _workspace_tools(folder: Path) -> dict[str, tuple[BaseTool, Path]]:
    found: dict[str, tuple[BaseTool, Path]] = {}
    for file in sorted(folder.glob("*.py")) if folder.is_dir() else []:
        if file.name.startswith("_"):
            continue
        for definition in definitions_in(_import_file(file)):
            if not isinstance(definition, BaseTool):
                raise ConfigError(
                    f"{file}: defines {type(definition).__name__} {definition.name!r}, but a workspace's "
                    f"tools/ holds tools only; ship kinds in a package (entry point group "
                    f"{NODE_ENTRY_POINTS!r}) or add them in code with Registry.collect"
                )
            other = found.get(definition.name)
            if other is not None and other[0] is not definition:
                raise ConfigError(f"tool {definition.name!r} is defined in both {other[1]} and {file}; rename one of them")
            found[definition.name] = (definition, file)
    return found


def _import_file(file: Path) -> ModuleType:
    name = f"agentkit_workspace_tools.{file.stem}"
    spec = importlib.util.spec_from_file_location(name, file)
    if spec is None or spec.loader is None:
        raise ConfigError(f"{file}: cannot import this tool file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        sys.modules.pop(name, None)
        raise ConfigError(f"{file}: importing this tool file failed: {type(exc).__name__}: {exc}") from exc
    return module


registry = Registry()
"""The default registry: built-ins and installed plugins."""

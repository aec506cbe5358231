"""The registry of node kinds, resource kinds and tools.

Built-ins register with decorators; other packages extend agentkit through the entry
point groups `agentkit.nodes` (a module whose import registers kinds) and
`agentkit.tools` (a LangChain tool, or a module of them); a workspace's `tools/`
folder is searched by tool name.
"""

from __future__ import annotations

import importlib.util
import inspect
import sys
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType
from typing import Any, Callable, Iterable, get_type_hints

from langchain_core.tools import BaseTool
from langchain_core.tools import tool as lc_tool
from pydantic import BaseModel

from agentkit.errors import ConfigError

NodeFunction = Callable[..., dict[str, Any]]
NODE_ENTRY_POINTS = "agentkit.nodes"
TOOL_ENTRY_POINTS = "agentkit.tools"


@dataclass(frozen=True)
class NodeKind:
    """A node factory: validated params in, a LangGraph node function out."""

    name: str
    params_model: type[BaseModel]
    build: Callable[[Any, Any], NodeFunction]
    description: str
    route_labels: Callable[[Any], Iterable[str]] | None = None
    check: Callable[[Any, Any], Iterable[tuple[tuple[str | int, ...], str, str | None]]] | None = None


@dataclass(frozen=True)
class ResourceKind:
    """A resource factory (a model, a store, ...): validated params in, an object out."""

    name: str
    params_model: type[BaseModel]
    build: Callable[..., Any]
    description: str
    workspace_scoped: bool = False
    """Built as `factory(params, workspace)` and shared per workspace (e.g. a store folder)."""


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


class Registry:
    """Names to node kinds, resource kinds and tools."""

    def __init__(self) -> None:
        self._nodes: dict[str, NodeKind] = {}
        self._resources: dict[str, ResourceKind] = {}
        self._tools: dict[str, BaseTool] = {}
        self._entry_points_loaded = False
        self._workspace_tools: dict[Path, dict[str, BaseTool]] = {}

    # -- registration -------------------------------------------------------------
    def node_kind(
        self,
        name: str,
        *,
        route_labels: Callable[[Any], Iterable[str]] | None = None,
        check: Callable[[Any, Any], Iterable[tuple[tuple[str | int, ...], str, str | None]]] | None = None,
    ) -> Callable[[Callable[..., NodeFunction]], Callable[..., NodeFunction]]:
        """Register `factory(params, ctx) -> node function` as node kind `name`."""

        def register(factory: Callable[..., NodeFunction]) -> Callable[..., NodeFunction]:
            kind = NodeKind(name, _params_model(factory, "node kind"), factory, _doc(factory),
                            route_labels, check)
            self._add(self._nodes, name, kind, "node kind")
            return factory

        return register

    def resource_kind(
        self, name: str, *, workspace_scoped: bool = False
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Register `factory(params) -> object` as resource kind `name`; with
        `workspace_scoped`, `factory(params, workspace)`, one object per workspace."""

        def register(factory: Callable[..., Any]) -> Callable[..., Any]:
            kind = ResourceKind(name, _params_model(factory, "resource kind"), factory, _doc(factory),
                                workspace_scoped)
            self._add(self._resources, name, kind, "resource kind")
            return factory

        return register

    def add_tool(self, tool: BaseTool) -> BaseTool:
        """Register a LangChain tool under its name."""
        self._add(self._tools, tool.name, tool, "tool")
        return tool

    def tool(self, *args: Any, **kwargs: Any) -> Any:
        """`@registry.tool` / `@registry.tool("name")`: LangChain's `@tool`, registered."""
        made = lc_tool(*args, **kwargs)
        if isinstance(made, BaseTool):
            return self.add_tool(made)
        return lambda fn: self.add_tool(made(fn))

    @staticmethod
    def _add(table: dict[str, Any], name: str, item: Any, what: str) -> None:
        existing = table.get(name)
        if existing is not None and _origin(existing) != _origin(item):
            raise ConfigError(
                f"{what} {name!r} is registered twice ({_origin(existing)} and {_origin(item)}); "
                f"rename one of them"
            )
        table[name] = item

    # -- lookup -------------------------------------------------------------------
    def node_kinds(self) -> dict[str, NodeKind]:
        """All node kinds, entry points included."""
        self._load_entry_points()
        return dict(self._nodes)

    def resource_kinds(self) -> dict[str, ResourceKind]:
        """All resource kinds, entry points included."""
        self._load_entry_points()
        return dict(self._resources)

    def tools(self, workspace: Path | None = None) -> dict[str, BaseTool]:
        """Registered and entry-point tools, plus those in `workspace/tools/*.py`."""
        self._load_entry_points()
        found = dict(self._tools)
        if workspace is not None:
            found.update(self._load_workspace_tools(workspace / "tools"))
        return found

    # -- discovery ----------------------------------------------------------------
    def _load_entry_points(self) -> None:
        if self._entry_points_loaded:
            return
        self._entry_points_loaded = True
        import agentkit.nodes  # noqa: F401 - built-in kinds register on import

        for ep in entry_points(group=NODE_ENTRY_POINTS):
            _load_entry_point(ep)
        for ep in entry_points(group=TOOL_ENTRY_POINTS):
            for tool in _tools_in(_load_entry_point(ep)):
                self.add_tool(tool)

    def _load_workspace_tools(self, folder: Path) -> dict[str, BaseTool]:
        folder = folder.resolve()
        if folder not in self._workspace_tools:
            found: dict[str, BaseTool] = {}
            for file in sorted(folder.glob("*.py")) if folder.is_dir() else []:
                if not file.name.startswith("_"):
                    found.update({t.name: t for t in _tools_in(_import_file(file))})
            self._workspace_tools[folder] = found
        return self._workspace_tools[folder]


def _origin(item: Any) -> str:
    target = getattr(item, "build", None) or getattr(item, "func", None) or item
    return f"{getattr(target, '__module__', '?')}.{getattr(target, '__qualname__', type(target).__name__)}"


def _load_entry_point(ep: Any) -> Any:
    try:
        return ep.load()
    except Exception as exc:  # a broken plugin must say which one it is
        raise ConfigError(
            f"entry point {ep.name!r} ({ep.value}) in group {ep.group!r} failed to load: {exc}; "
            f"fix or uninstall the package that declares it"
        ) from exc


def _tools_in(obj: Any) -> list[BaseTool]:
    if isinstance(obj, BaseTool):
        return [obj]
    if isinstance(obj, ModuleType):
        return [v for v in vars(obj).values() if isinstance(v, BaseTool)]
    return []


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
node_kind = registry.node_kind
resource_kind = registry.resource_kind
tool = registry.tool

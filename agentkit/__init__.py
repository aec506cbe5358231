"""agentkit: declarative LangGraph agents, offline local models, Phoenix tracing.

The public names are imported on first use, so importing a lower layer (`agentkit.rag`,
`agentkit.models`) does not load the engine and LangGraph."""

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agentkit.builder import GraphBuilder
    from agentkit.engine.compiler import build_state_graph, compile_graph, load_graph
    from agentkit.engine.context import CheckContext, NodeContext
    from agentkit.engine.refs import Channel, PromptName, Resource, ToolName
    from agentkit.engine.registry import NodeFunction, Registry, node_kind, registry, resource_kind, tool
    from agentkit.engine.runner import run_graph
    from agentkit.engine.standalone import make_node
    from agentkit.engine.validate import validate_spec
    from agentkit.errors import AgentkitError, ConfigError, GraphSpecError, RunError
    from agentkit.spec import GraphSpec, dump_yaml, load_spec

_HOMES = {
    "agentkit.builder": ["GraphBuilder"],
    "agentkit.engine.compiler": ["build_state_graph", "compile_graph", "load_graph"],
    "agentkit.engine.context": ["CheckContext", "NodeContext"],
    "agentkit.engine.refs": ["Channel", "PromptName", "Resource", "ToolName"],
    "agentkit.engine.registry": ["NodeFunction", "Registry", "node_kind", "registry", "resource_kind", "tool"],
    "agentkit.engine.runner": ["run_graph"],
    "agentkit.engine.standalone": ["make_node"],
    "agentkit.engine.validate": ["validate_spec"],
    "agentkit.errors": ["AgentkitError", "ConfigError", "GraphSpecError", "RunError"],
    "agentkit.spec": ["GraphSpec", "dump_yaml", "load_spec"],
}
_HOME_OF = {name: module for module, names in _HOMES.items() for name in names}
__all__ = sorted([*_HOME_OF, "__version__"])


def __getattr__(name: str) -> Any:
    """A public name, imported from its module on first use; `__version__` from the
    installed metadata."""
    if name == "__version__":
        from importlib.metadata import version

        return version("agentkit")
    if name in _HOME_OF:
        value = getattr(import_module(_HOME_OF[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'agentkit' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__

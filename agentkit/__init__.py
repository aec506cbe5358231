"""agentkit: declarative LangGraph agents, offline local models, Phoenix tracing."""

from typing import Any

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

__all__ = [
    "AgentkitError", "Channel", "CheckContext", "ConfigError", "GraphBuilder", "GraphSpec",
    "GraphSpecError", "NodeContext", "NodeFunction", "PromptName", "Registry", "Resource", "RunError", "ToolName",
    "__version__", "build_state_graph", "compile_graph", "dump_yaml", "load_graph", "load_spec",
    "make_node", "node_kind", "registry", "resource_kind", "run_graph", "tool", "validate_spec",
]


def __getattr__(name: str) -> Any:
    """`__version__`, read from the installed metadata on first use (imports stay cheap)."""
    if name == "__version__":
        from importlib.metadata import version

        return version("agentkit")
    raise AttributeError(f"module 'agentkit' has no attribute {name!r}")

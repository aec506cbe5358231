"""agentkit: declarative LangGraph agents, offline local models, Phoenix tracing."""

from agentkit.builder import GraphBuilder
from agentkit.engine.compiler import build_state_graph, compile_graph, load_graph
from agentkit.engine.registry import node_kind, registry, resource_kind, tool
from agentkit.engine.runner import run_graph
from agentkit.engine.standalone import make_node
from agentkit.engine.validate import validate_spec
from agentkit.errors import AgentkitError, ConfigError, GraphSpecError, RunError
from agentkit.spec import GraphSpec, dump_yaml, load_spec

__all__ = [
    "AgentkitError", "ConfigError", "GraphBuilder", "GraphSpec", "GraphSpecError", "RunError",
    "build_state_graph", "compile_graph", "dump_yaml", "load_graph", "load_spec", "make_node",
    "node_kind", "registry", "resource_kind", "run_graph", "tool", "validate_spec",
]

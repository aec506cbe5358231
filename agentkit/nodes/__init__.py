"""Built-in node and resource kinds; importing this package registers them."""

from agentkit.nodes import llm, models, route, subgraph, tool

__all__ = ["llm", "models", "route", "subgraph", "tool"]

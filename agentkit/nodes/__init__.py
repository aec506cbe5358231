"""Built-in node and resource kinds; importing this package registers them."""

from agentkit.nodes import agent, llm, models, route, subgraph, tool

__all__ = ["agent", "llm", "models", "route", "subgraph", "tool"]

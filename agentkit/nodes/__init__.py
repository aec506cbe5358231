"""Built-in node and resource kinds; importing this package registers them."""

from agentkit.nodes import agent, llm, models, retrieval, route, self_rag, subgraph, tool

__all__ = ["agent", "llm", "models", "retrieval", "route", "self_rag", "subgraph", "tool"]

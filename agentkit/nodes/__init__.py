"""Built-in node and resource kinds: agentkit's `agentkit.nodes` entry point names this
package, and a `Registry` collects the definitions of the submodules imported here."""

from agentkit.nodes import agent, graph_retrieval, llm, models, retrieval, rewrite, route, self_rag, subgraph, tone, tool

__all__ = ["agent", "graph_retrieval", "llm", "models", "retrieval", "rewrite", "route", "self_rag", "subgraph", "tone", "tool"]

"""Summaries of a knowledge graph for people: counts, top entities, one entity's facts."""

from __future__ import annotations

from collections import Counter

from pydantic import BaseModel

from agentkit.graphrag.knowledge_graph import KnowledgeGraph


class EntityRow(BaseModel):
    """One line of the top-entities table."""

    name: str
    type: str
    chunks: int
    neighbours: int


class GraphStats(BaseModel):
    """What `agentkit kg stats` prints beyond the meta counts."""

    levels: str
    top_entities: list[EntityRow]


def graph_stats(kg: KnowledgeGraph, top: int = 10) -> GraphStats:
    """Communities per level and the `top` entities mentioned in the most chunks."""
    per_level = Counter(community.level for community in kg.communities)
    levels = ", ".join(f"level {level}: {n}" for level, n in sorted(per_level.items())) or "none"
    graph = kg.graph
    ranked = sorted((node for node in kg.entities()),
                    key=lambda node: (-len(graph.nodes[node]["chunk_ids"]), graph.nodes[node]["name"]))[:top]
    rows = [EntityRow(name=graph.nodes[node]["name"], type=graph.nodes[node]["type"],
                      chunks=len(graph.nodes[node]["chunk_ids"]),
                      neighbours=sum(1 for n in graph[node] if graph.nodes[n].get("kind") == "entity"))
            for node in ranked]
    return GraphStats(levels=levels, top_entities=rows)


def entity_facts(kg: KnowledgeGraph, node: str, relations: int = 12) -> str:
    """An entity's name, type, aliases, description, strongest relations and the chunks naming it."""
    graph = kg.graph
    data = graph.nodes[node]
    lines = [f"{data['name']} ({data['type']}), mentioned {data['mentions']} times in {len(data['chunk_ids'])} chunks"]
    if data.get("aliases"):
        lines.append("aliases: " + ", ".join(data["aliases"]))
    if data.get("description"):
        lines.append("description: " + data["description"])
    edges = sorted(((n, graph.edges[node, n]) for n in graph[node] if graph.edges[node, n]["kind"] == "relation"),
                   key=lambda pair: -pair[1]["weight"])[:relations]
    for other, edge in edges:
        said = f": {edge['description']}" if edge.get("description") else ""
        lines.append(f"  — {graph.nodes[other]['name']} (weight {edge['weight']:.1f}, chunks "
                     f"{', '.join(edge['chunk_ids'][:3])}){said}")
    lines.append("chunks: " + ", ".join(data["chunk_ids"][:20]) + (" …" if len(data["chunk_ids"]) > 20 else ""))
    return "\n".join(lines)

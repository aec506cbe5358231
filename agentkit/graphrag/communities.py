"""Hierarchical communities of the entity graph (level 0 is the coarsest).

Communities are found on the entities only: two entities are tied by the weight of the
relations between them plus the number of chunks that mention both. Hierarchical Leiden
(graspologic-native, as Microsoft GraphRAG uses it) splits every community larger than
`max_cluster_size` again, one level down; without it, networkx's Louvain levels give the
same shape (a community too large descends into the finer Louvain level's parts). An entity
tied to no other entity is a community of its own (reports skip those). Deterministic for a
given graph and seed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import combinations
from typing import Literal

import networkx as nx
from pydantic import BaseModel

from agentkit.graphrag.types import CHUNK, ENTITY

Method = Literal["auto", "leiden", "louvain"]


class Community(BaseModel):
    """A group of entities; `parent` is the id of the community one level up (None at level 0)."""

    id: str
    level: int
    parent: str | None = None
    entities: list[str]
    chunk_ids: list[str]


@dataclass(frozen=True)
class _Group:
    key: str
    level: int
    parent: str | None
    members: frozenset[str]


def entity_graph(graph: nx.Graph) -> nx.Graph:
    """The weighted entity–entity graph: relation weights + shared-chunk co-mention counts."""
    entities = nx.Graph()
    entities.add_nodes_from(sorted(n for n in graph if n.startswith(ENTITY)))
    entities.add_weighted_edges_from(_ties(graph))
    return entities


def detect_communities(graph: nx.Graph, seed: int = 0, max_cluster_size: int = 10,
                       method: Method = "auto") -> list[Community]:
    """The communities of `graph`'s entities, every level, level 0 first.

    `method`: "leiden" (graspologic-native), "louvain" (networkx) or "auto" (Leiden when
    graspologic-native imports, else Louvain)."""
    if max_cluster_size < 1:
        raise ValueError(f"max_cluster_size must be at least 1, got {max_cluster_size}")
    ties = _ties(graph)
    groups: list[_Group] = []
    if ties:
        split = _leiden if _use_leiden(method) else _louvain
        groups = split(ties, seed, max_cluster_size)
    tied = {n for u, v, _ in ties for n in (u, v)}
    groups += [_Group(f"alone/{n}", 0, None, frozenset([n]))
               for n in sorted(graph) if n.startswith(ENTITY) and n not in tied]
    return _numbered(groups, graph)


def _ties(graph: nx.Graph) -> list[tuple[str, str, float]]:
    """(u, v, relation weight + chunks naming both) for every tied entity pair, sorted."""
    weights: dict[tuple[str, str], float] = defaultdict(float)
    chunks = []
    for node, neighbours in graph.adjacency():
        if node.startswith(CHUNK):
            chunks.append(neighbours)
            continue
        for other, data in neighbours.items():
            if other > node and data.get("kind") == "relation":
                weights[(node, other)] += float(data.get("weight", 1.0))
    for neighbours in chunks:
        for pair in combinations(sorted(n for n in neighbours if n.startswith(ENTITY)), 2):
            weights[pair] += 1.0
    return [(u, v, w) for (u, v), w in sorted(weights.items())]


def top_level(communities: Iterable[Community]) -> dict[str, str]:
    """entity node id -> id of its level-0 community."""
    return {entity: c.id for c in communities if c.level == 0 for entity in c.entities}


def _use_leiden(method: Method) -> bool:
    if method != "auto":
        return method == "leiden"
    try:
        import graspologic_native  # noqa: F401
    except ImportError:
        return False
    return True


def _leiden(ties: list[tuple[str, str, float]], seed: int, max_cluster_size: int) -> list[_Group]:
    from graspologic_native import hierarchical_leiden

    members: dict[tuple[int, int], set[str]] = defaultdict(set)
    parents: dict[tuple[int, int], int | None] = {}
    for row in hierarchical_leiden(ties, max_cluster_size=max_cluster_size, seed=seed):
        members[(row.level, row.cluster)].add(row.node)
        parents[(row.level, row.cluster)] = row.parent_cluster
    return [_Group(f"{level}/{cluster}", level,
                   None if parents[(level, cluster)] is None else f"{level - 1}/{parents[(level, cluster)]}",
                   frozenset(nodes))
            for (level, cluster), nodes in members.items()]


def _louvain(ties: list[tuple[str, str, float]], seed: int, max_cluster_size: int) -> list[_Group]:
    tied = nx.Graph()
    tied.add_weighted_edges_from(ties)
    coarse_first = list(nx.community.louvain_partitions(tied, weight="weight", seed=seed))[::-1]
    index = [{node: i for i, part in enumerate(parts) for node in part} for parts in coarse_first]
    groups: list[_Group] = []

    def descend(nodes: frozenset[str], depth: int, level: int, parent: str | None) -> None:
        group = _Group(f"{level}/{len(groups)}", level, parent, nodes)
        groups.append(group)
        if len(nodes) <= max_cluster_size:
            return
        for finer in range(depth + 1, len(coarse_first)):
            parts: dict[int, set[str]] = defaultdict(set)
            for node in nodes:
                parts[index[finer][node]].add(node)
            if len(parts) > 1:
                for part in parts.values():
                    descend(frozenset(part), finer, level + 1, group.key)
                return

    for part in coarse_first[0]:
        descend(frozenset(part), 0, 0, None)
    return groups


def _numbered(groups: list[_Group], graph: nx.Graph) -> list[Community]:
    """Ids "<level>.<n>", numbered within a level by size (largest first), then first entity."""
    groups = sorted(groups, key=lambda g: (g.level, -len(g.members), min(g.members)))
    ids: dict[str, str] = {}
    counters: dict[int, int] = defaultdict(int)
    for group in groups:
        ids[group.key] = f"{group.level}.{counters[group.level]}"
        counters[group.level] += 1
    return [Community(id=ids[g.key], level=g.level, parent=None if g.parent is None else ids[g.parent],
                      entities=sorted(g.members), chunk_ids=_chunk_ids(graph, g.members))
            for g in groups]


def _chunk_ids(graph: nx.Graph, entities: Iterable[str]) -> list[str]:
    found: set[str] = set()
    for entity in entities:
        found.update(graph.nodes[entity].get("chunk_ids") or
                     (n[len(CHUNK):] for n in graph[entity] if n.startswith(CHUNK)))
    return sorted(found)

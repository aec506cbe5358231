"""Local graph search: personalized PageRank over the entity–passage graph (as HippoRAG).

The query's linked entities are the seeds, each weighted by its link score over the number
of passages that mention it (a rare entity says more than a common one); the store's best
dense passages can seed too, with a small weight. Relevance spreads from the seeds over
mention and relation edges, so a passage that shares no word with the question but names
the entity a seed passage leads to (the bridge of a two-hop question) is found. The
sparse transition matrix is built once per graph; a search is one query embedding, a
few sparse matrix–vector products and one store read.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from typing import TYPE_CHECKING

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from agentkit.graphrag.linking import EntityLinker, LinkedEntity, LinkingConfig
from agentkit.graphrag.types import CHUNK
from agentkit.rag.config import StoreConfig
from agentkit.rag.chunks import Hit
from agentkit.rag.document_index import DocumentIndex
from agentkit.rag.fusion import reciprocal_rank
from agentkit.rag.stores.base import SearchMode

if TYPE_CHECKING:
    import networkx as nx
    import scipy.sparse as sp

    from agentkit.graphrag.knowledge_graph import KnowledgeGraph

CONTEXT_FLOOR = 0.01  # context entities score at least this share of the best one
NO_ENTITY = "no entity of the query is in the graph: hybrid search of the store instead"


class SearchConfig(BaseModel):
    """Knobs of graph search (defaults follow HippoRAG)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    damping: float = Field(0.5, gt=0, lt=1, description="PPR: probability of following an edge (vs. back to seeds)")
    iterations: int = Field(30, ge=1, description="PPR: most power iterations")
    tolerance: float = Field(1e-5, gt=0, description="PPR: stop when the L1 change is below this")
    relation_weight: float = Field(1.0, ge=0, description="scale of entity–entity edge weights vs. mentions")
    dense_seeds: int = Field(5, ge=0, description="the store's best dense passages that seed too (0: none)")
    dense_weight: float = Field(0.05, ge=0, description="seed mass of dense passages vs. linked entities")
    context_entities: int = Field(10, ge=0, description="entities returned as context")
    context_relations: int = Field(10, ge=0, description="relations returned as context")
    rrf_k: int = Field(60, ge=1, description="hybrid: the k of reciprocal rank fusion")
    linking: LinkingConfig = Field(default_factory=LinkingConfig)


class EntityContext(BaseModel):
    """An entity that led to the passages, with the passages that mention it."""

    name: str
    type: str = ""
    description: str = ""
    score: float
    chunk_ids: list[str]


class RelationContext(BaseModel):
    """A relation between two context entities, with the passages that state it."""

    source: str
    target: str
    description: str = ""
    weight: float
    chunk_ids: list[str]


class GraphSearchResult(BaseModel):
    """Passages found through the graph, and what led to them."""

    hits: list[Hit]
    entities: list[EntityContext] = Field(default_factory=list)
    relations: list[RelationContext] = Field(default_factory=list)
    linked: list[LinkedEntity] = Field(default_factory=list)
    fallback: str | None = Field(None, description="why the store's hybrid search answered instead")

    def context_text(self) -> str:
        """Entities and relations as text for a model, each with its chunk ids."""
        def cited(ids: list[str]) -> str:
            return f" [chunks: {', '.join(ids[:5])}]"

        lines = [f"- {e.name} ({e.type}){': ' + e.description if e.description else ''}{cited(e.chunk_ids)}"
                 for e in self.entities]
        lines += [f"- {r.source} -- {r.target}{': ' + r.description if r.description else ''}{cited(r.chunk_ids)}"
                  for r in self.relations]
        return "\n".join(lines)


@dataclass
class _Matrix:
    """The graph as a column-stochastic sparse matrix over its node order."""

    nodes: list[str]
    position: dict[str, int]
    transition: sp.csr_matrix
    chunks: np.ndarray  # positions of chunk nodes


def _matrix(graph: nx.Graph, relation_weight: float) -> _Matrix:
    import scipy.sparse as sp

    nodes = sorted(graph.nodes)
    position = {node: i for i, node in enumerate(nodes)}
    rows, cols, weights = [], [], []
    for a, b, data in graph.edges(data=True):
        weight = float(data.get("weight", 1.0)) * (relation_weight if data.get("kind") == "relation" else 1.0)
        if weight > 0:
            i, j = position[a], position[b]
            rows += [i, j]
            cols += [j, i]
            weights += [weight, weight]
    n = len(nodes)
    adjacency = sp.csr_matrix((weights, (rows, cols)), shape=(n, n), dtype=np.float32)
    out = np.asarray(adjacency.sum(axis=0)).ravel()
    scale = sp.diags(np.divide(1.0, out, out=np.zeros_like(out), where=out > 0))
    chunks = np.array([i for i, node in enumerate(nodes) if node.startswith(CHUNK)], dtype=np.int64)
    return _Matrix(nodes, position, (adjacency @ scale).tocsr(), chunks)


class _QueryVector:
    """Store searches for one query that embed it once (local and hybrid search share it)."""

    def __init__(self, index: DocumentIndex, query: str):
        self.index, self.query = index, query
        self._vector: np.ndarray | None = None

    def search(self, mode: SearchMode, k: int) -> list[Hit]:
        if self._vector is None:
            self._vector = np.asarray(self.index.embeddings.embed_query(self.query), dtype=np.float32)
        return self.index.store.search(self.query, self._vector, mode=mode, k=k)


class GraphSearcher:
    """Local and hybrid search over one knowledge graph and the store it was built from."""

    def __init__(self, graph: nx.Graph, index: DocumentIndex, config: SearchConfig | None = None):
        self.graph, self.index = graph, index
        self.config = config or SearchConfig()
        self.linker = EntityLinker.of(graph, self.config.linking)
        self._matrix = _matrix(graph, self.config.relation_weight)

    def pagerank(self, seeds: dict[str, float]) -> np.ndarray:
        """Personalized PageRank from `seeds` (node -> mass; normalised here)."""
        m = self._matrix
        teleport = np.zeros(len(m.nodes), dtype=np.float32)
        for node, mass in seeds.items():
            if node in m.position:
                teleport[m.position[node]] += mass
        teleport /= teleport.sum()
        rank, d = teleport.copy(), self.config.damping
        for _ in range(self.config.iterations):
            step = d * (m.transition @ rank)
            step += (1.0 - step.sum()) * teleport  # restarts and dangling mass go back to the seeds
            done = np.abs(step - rank).sum() < self.config.tolerance
            rank = step
            if done:
                break
        return rank

    def local(self, query: str, k: int = 5) -> GraphSearchResult:
        """The `k` passages PPR ranks highest from the query's entities (and dense seeds).

        No linked entity: the store's hybrid search, with `fallback` saying so."""
        return self._local(query, k, _QueryVector(self.index, query))

    def _local(self, query: str, k: int, vector: _QueryVector) -> GraphSearchResult:
        linked = self.linker.link(query)
        if not linked:
            return GraphSearchResult(hits=vector.search("hybrid", k), fallback=NO_ENTITY)
        seeds: dict[str, float] = {}
        for entity in linked:
            passages = max(len(self.graph.nodes[entity.node].get("chunk_ids") or ()), 1)
            seeds[entity.node] = seeds.get(entity.node, 0.0) + entity.score / passages
        if self.config.dense_seeds and self.config.dense_weight > 0:
            dense = vector.search("dense", self.config.dense_seeds)
            scores = {CHUNK + hit.chunk.id: max(hit.score, 0.0) for hit in dense}
            total = sum(scores.values())
            if total > 0:
                mass = self.config.dense_weight * sum(seeds.values()) / total
                for node, score in scores.items():
                    seeds[node] = seeds.get(node, 0.0) + score * mass
        rank = self.pagerank(seeds)
        hits = self._hits(rank, k)
        nodes = self._top_entities(rank)
        return GraphSearchResult(hits=hits, entities=[self._entity(node, rank) for node in nodes],
                                 relations=self._relations(nodes), linked=linked)

    def hybrid(self, query: str, k: int = 5, depth: int = 20) -> GraphSearchResult:
        """Graph passages and the store's hybrid passages fused by reciprocal rank."""
        vector = _QueryVector(self.index, query)
        graph = self._local(query, max(k, depth), vector)
        if graph.fallback:
            graph.hits = graph.hits[:k]
            return graph
        store = vector.search("hybrid", max(k, depth))
        by_id = {hit.chunk.id: hit for hit in [*store, *graph.hits]}
        rankings = {"graph": [(h.chunk.id, h.score) for h in graph.hits],
                    "hybrid": [(h.chunk.id, h.score) for h in store]}
        fused = sorted(reciprocal_rank(rankings, self.config.rrf_k).items(), key=lambda pair: -pair[1])[:k]
        graph_scores = {h.chunk.id: h.score for h in graph.hits}
        store_scores = {h.chunk.id: h.score for h in store}
        graph.hits = [
            Hit(chunk=by_id[cid].chunk, score=score,
                scores={**({"graph": graph_scores[cid]} if cid in graph_scores else {}),
                        **({"hybrid": store_scores[cid]} if cid in store_scores else {}), "rrf": score})
            for cid, score in fused
        ]
        return graph

    def _hits(self, rank: np.ndarray, k: int) -> list[Hit]:
        m = self._matrix
        scores = rank[m.chunks]
        reached = np.flatnonzero(scores > 0)
        window = 2 * k
        while True:  # the best `window` reached chunks; wider when some left the store since the build
            best = reached[np.argpartition(-scores[reached], window - 1)[:window]] if window < len(reached) else reached
            best = best[np.lexsort((best, -scores[best]))]
            wanted = [(m.nodes[m.chunks[i]][len(CHUNK):], float(scores[i])) for i in best]
            found = {c.id: c for c in self.index.store.get([cid for cid, _ in wanted])}
            hits = [Hit(chunk=found[cid], score=s, scores={"ppr": s}) for cid, s in wanted if cid in found]
            if len(hits) >= k or window >= len(reached):
                return hits[:k]
            window *= 4

    def _top_entities(self, rank: np.ndarray) -> list[str]:
        m, n = self._matrix, self.config.context_entities
        if not n:
            return []
        depth = min(4 * n + 50, len(rank))
        best = np.argpartition(-rank, depth - 1)[:depth]
        best = best[np.lexsort((best, -rank[best]))]
        entities = [i for i in best if not m.nodes[i].startswith(CHUNK)]
        floor = CONTEXT_FLOOR * rank[entities[0]] if entities else 0.0
        return [m.nodes[i] for i in entities if rank[i] > floor][:n]

    def _entity(self, node: str, rank: np.ndarray) -> EntityContext:
        data = self.graph.nodes[node]
        return EntityContext(name=str(data.get("name", "")), type=str(data.get("type", "")),
                             description=str(data.get("description", "")),
                             score=float(rank[self._matrix.position[node]]), chunk_ids=list(data.get("chunk_ids") or []))

    def _name(self, node: str) -> str:
        return str(self.graph.nodes[node].get("name", node))

    def _relations(self, nodes: list[str]) -> list[RelationContext]:
        if not self.config.context_relations:
            return []
        edges = [(data, a, b) for a, b, data in self.graph.subgraph(nodes).edges(data=True)
                 if data.get("kind") == "relation"]
        edges.sort(key=lambda e: (-float(e[0].get("weight", 0.0)), e[1], e[2]))
        return [RelationContext(source=self._name(a), target=self._name(b), description=str(data.get("description", "")),
                                weight=float(data.get("weight", 0.0)), chunk_ids=list(data.get("chunk_ids") or []))
                for data, a, b in edges[:self.config.context_relations]]


_LOADED: dict[tuple[str, str, int], tuple[int, KnowledgeGraph, GraphSearcher]] = {}
_LOADED_LOCK = threading.Lock()


def open_searcher(
    config: StoreConfig, workspace: Path, index: DocumentIndex, search: SearchConfig | None = None
) -> tuple[KnowledgeGraph, GraphSearcher]:
    """The store's knowledge graph and a searcher over it, loaded once per process and again
    only when `graph.json` was rewritten (a ConfigError saying how to build it when missing)."""
    from agentkit.graphrag.knowledge_graph import graph_folder, load_knowledge_graph
    from agentkit.graphrag.storage import SNAPSHOT

    search = search or SearchConfig()
    snapshot = graph_folder(config, workspace) / SNAPSHOT
    key = (str(snapshot), search.model_dump_json(), id(index))
    stamp = snapshot.stat().st_mtime_ns if snapshot.exists() else -1
    with _LOADED_LOCK:
        loaded = _LOADED.get(key)
        if loaded is None or loaded[0] != stamp:
            kg = load_knowledge_graph(config, workspace)
            loaded = _LOADED[key] = (stamp, kg, GraphSearcher(kg.graph, index, search))
        return loaded[1], loaded[2]

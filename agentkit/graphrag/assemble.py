"""Assemble the entity graph from every chunk's extraction (the graph is derived, never edited).

Entities are keyed by their normalised name, after entity resolution's merges
(`canonical`: key -> the key it was merged into). Chunk nodes link to the entities they
mention; relation edges carry the chunks that state them, so every answer built from
the graph can cite passages.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping

import networkx as nx

from agentkit.graphrag.names import normalize
from agentkit.graphrag.types import ChunkExtraction, chunk_node, entity_node

MAX_DESCRIPTION = 600


class _Entity:
    """What the extractions say about one entity, gathered before it becomes a node."""

    def __init__(self) -> None:
        self.forms: Counter[str] = Counter()
        self.types: Counter[str] = Counter()
        self.descriptions: list[str] = []
        self.keys: set[str] = set()
        self.chunks: set[str] = set()


class _Relation:
    """What the extractions say about one entity pair."""

    def __init__(self, source: str, target: str) -> None:
        self.source, self.target = source, target
        self.weight = 0.0
        self.descriptions: list[str] = []
        self.chunks: set[str] = set()


def surface_forms(extractions: Iterable[ChunkExtraction]) -> dict[str, Counter[str]]:
    """Normalised key -> how often each surface form names it (what entity resolution reads)."""
    forms: dict[str, Counter[str]] = defaultdict(Counter)
    for extraction in extractions:
        for entity in extraction.entities:
            if key := normalize(entity.name):
                forms[key][entity.name] += entity.count
    return dict(forms)


def assemble(extractions: Iterable[ChunkExtraction], canonical: Mapping[str, str] | None = None) -> nx.Graph:
    """The entity–passage graph of `extractions`, with merged keys folded into their canonical key."""
    canonical = canonical or {}
    keys: dict[str, str] = {}  # surface form -> normalised key (names repeat across chunks)

    def key_of(name: str) -> str:
        if name not in keys:
            keys[name] = normalize(name)
        return keys[name]

    entities: dict[str, _Entity] = defaultdict(_Entity)
    relations: dict[tuple[str, str], _Relation] = {}
    graph = nx.Graph()
    for extraction in sorted(extractions, key=lambda e: e.chunk_id):
        chunk = chunk_node(extraction.chunk_id)
        graph.add_node(chunk, kind="chunk", doc_id=extraction.doc_id, title=extraction.title)
        keys_here: set[str] = set()  # relations may only join entities this chunk mentions
        for mention in extraction.entities:
            if not (key := key_of(mention.name)):
                continue
            final = canonical.get(key, key)
            keys_here.add(final)
            entity = entities[final]
            entity.forms[mention.name] += mention.count
            entity.types[mention.type] += mention.count + (10 if mention.title else 0)
            entity.keys.add(key)
            entity.chunks.add(extraction.chunk_id)
            if mention.description and mention.description not in entity.descriptions:
                entity.descriptions.append(mention.description)
            node = entity_node(final)
            weight = graph.edges[node, chunk]["weight"] if graph.has_edge(node, chunk) else 0
            graph.add_edge(node, chunk, kind="mention", weight=weight + mention.count)
        for stated in extraction.relations:
            source, target = (canonical.get(k, k) for k in (key_of(stated.source), key_of(stated.target)))
            if not source or not target or source == target or not {source, target} <= keys_here:
                continue
            pair = (source, target) if source < target else (target, source)
            relation = relations.setdefault(pair, _Relation(source, target))
            relation.weight += stated.weight
            relation.chunks.add(extraction.chunk_id)
            if stated.description and stated.description not in relation.descriptions:
                relation.descriptions.append(stated.description)
    for key, entity in entities.items():
        graph.add_node(
            entity_node(key), kind="entity", key=key,
            name=max(entity.forms, key=lambda form: (entity.forms[form], -len(form), form)),
            type=max(entity.types, key=lambda t: (entity.types[t], t)),
            description=_joined(entity.descriptions),
            aliases=sorted(set(entity.forms) | (entity.keys - {key})),
            chunk_ids=sorted(entity.chunks), mentions=sum(entity.forms.values()),
        )
    for (a, b), relation in relations.items():
        graph.add_edge(entity_node(a), entity_node(b), kind="relation", source=relation.source,
                       target=relation.target, weight=relation.weight,
                       description=_joined(relation.descriptions), chunk_ids=sorted(relation.chunks))
    return graph


def _joined(descriptions: list[str]) -> str:
    """Distinct descriptions joined, capped so a popular entity's node stays small."""
    text = " ".join(descriptions)
    return text if len(text) <= MAX_DESCRIPTION else text[:MAX_DESCRIPTION - 1].rstrip() + "…"

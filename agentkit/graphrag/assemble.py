"""Assemble the entity graph from every chunk's extraction (the graph is derived, never edited).

Entities are keyed by their normalised name, after entity resolution's merges
(`canonical`: key -> the key it was merged into). Chunk nodes link to the entities they
mention; relation edges carry the chunks that state them, so every answer built from
the graph can cite passages.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import networkx as nx

from agentkit.graphrag.names import normalize
from agentkit.graphrag.types import ChunkExtraction, chunk_node, entity_node

MAX_DESCRIPTION = 600


class _Entity:
    """What the extractions say about one entity, gathered before it becomes a node."""

    __slots__ = ("forms", "types", "descriptions", "keys", "chunks")

    def __init__(self) -> None:
        self.forms: Counter[str] = Counter()
        self.types: Counter[str] = Counter()
        self.descriptions: list[str] = []
        self.keys: set[str] = set()
        self.chunks: set[str] = set()


class _Relation:
    """What the extractions say about one entity pair."""

    __slots__ = ("source", "target", "weight", "descriptions", "chunks")

    def __init__(self, source: str, target: str) -> None:
        self.source, self.target = source, target
        self.weight = 0.0
        self.descriptions: list[str] = []
        self.chunks: set[str] = set()


Row = Mapping[str, Any]
"""A chunk's extraction as the JSON object `ChunkExtraction` dumps to (how `kg.sqlite` stores it)."""


def _rows(extractions: Iterable[ChunkExtraction | Row]) -> Iterator[Row]:
    for extraction in extractions:
        yield extraction.model_dump() if isinstance(extraction, ChunkExtraction) else extraction


def surface_forms(extractions: Iterable[ChunkExtraction | Row]) -> dict[str, Counter[str]]:
    """Normalised key -> how often each surface form names it (what entity resolution reads)."""
    forms: dict[str, Counter[str]] = defaultdict(Counter)
    keys: dict[str, str] = {}
    for row in _rows(extractions):
        for entity in row["entities"]:
            name = entity["name"]
            if (key := keys.get(name)) is None:
                key = keys[name] = normalize(name)
            if key:
                forms[key][name] += entity["count"]
    return dict(forms)


def assemble(extractions: Iterable[ChunkExtraction | Row], canonical: Mapping[str, str] | None = None) -> nx.Graph:
    """The entity–passage graph of `extractions` (models or their stored JSON objects), with
    merged keys folded into their canonical key."""
    canonical = canonical or {}
    folded: dict[str, tuple[str, str]] = {}  # surface form -> (normalised key, canonical key)

    def keys_of(name: str) -> tuple[str, str]:
        if (found := folded.get(name)) is None:
            key = normalize(name)
            found = folded[name] = (key, canonical.get(key, key))
        return found

    entities: dict[str, _Entity] = {}
    relations: dict[tuple[str, str], _Relation] = {}
    nodes: dict[str, dict[str, Any]] = {}  # node id -> attributes, in the order first seen
    mentions: dict[tuple[str, str], int] = {}  # (entity node, chunk node) -> times named
    for row in sorted(_rows(extractions), key=lambda row: row["chunk_id"]):
        chunk_id = row["chunk_id"]
        chunk = chunk_node(chunk_id)
        nodes[chunk] = {"kind": "chunk", "doc_id": row["doc_id"], "title": row["title"]}
        keys_here: set[str] = set()  # relations may only join entities this chunk mentions
        for mention in row["entities"]:
            name = mention["name"]
            key, final = folded.get(name) or keys_of(name)
            if not key:
                continue
            keys_here.add(final)
            if (entity := entities.get(final)) is None:
                entity = entities[final] = _Entity()
                nodes[entity_node(final)] = {}
            count = mention["count"]
            entity.forms[name] += count
            entity.types[mention["type"]] += count + (10 if mention["title"] else 0)
            entity.keys.add(key)
            entity.chunks.add(chunk_id)
            if (description := mention["description"]) and description not in entity.descriptions:
                entity.descriptions.append(description)
            pair = (entity_node(final), chunk)
            mentions[pair] = mentions.get(pair, 0) + count
        for stated in row["relations"]:
            source = (folded.get(stated["source"]) or keys_of(stated["source"]))[1]
            target = (folded.get(stated["target"]) or keys_of(stated["target"]))[1]
            if not source or not target or source == target or source not in keys_here or target not in keys_here:
                continue
            pair = (source, target) if source < target else (target, source)
            if (relation := relations.get(pair)) is None:
                relation = relations[pair] = _Relation(source, target)
            relation.weight += stated["weight"]
            relation.chunks.add(chunk_id)
            if (description := stated["description"]) and description not in relation.descriptions:
                relation.descriptions.append(description)
    for key, entity in entities.items():
        nodes[entity_node(key)] = dict(
            kind="entity", key=key,
            name=_most(entity.forms, lambda form: (entity.forms[form], -len(form), form)),
            type=_most(entity.types, lambda t: (entity.types[t], t)),
            description=_joined(entity.descriptions),
            aliases=sorted(set(entity.forms) | (entity.keys - {key})),
            chunk_ids=sorted(entity.chunks), mentions=sum(entity.forms.values()),
        )
    graph = nx.Graph()
    graph.add_nodes_from(nodes.items())
    graph.add_edges_from((node, chunk, {"kind": "mention", "weight": weight})
                         for (node, chunk), weight in mentions.items())
    graph.add_edges_from((entity_node(a), entity_node(b), {
        "kind": "relation", "source": relation.source, "target": relation.target, "weight": relation.weight,
        "description": _joined(relation.descriptions), "chunk_ids": sorted(relation.chunks)})
        for (a, b), relation in relations.items())
    return graph


def _most(counts: Counter[str], order: Callable[[str], tuple[Any, ...]]) -> str:
    """The greatest of `counts` by `order` (most entities have a single form and type)."""
    return next(iter(counts)) if len(counts) == 1 else max(counts, key=order)


def _joined(descriptions: list[str]) -> str:
    """Distinct descriptions joined, capped so a popular entity's node stays small."""
    text = " ".join(descriptions)
    return text if len(text) <= MAX_DESCRIPTION else text[:MAX_DESCRIPTION - 1].rstrip() + "…"

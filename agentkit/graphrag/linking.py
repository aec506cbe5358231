"""Entity linking: which graph entities a query names.

Two lexical passes over the query's normalised words, no model needed:
exact n-gram matches of entity keys and aliases (the longest match wins its words), then,
for words no exact match took, partial matches scored by the IDF-weighted share of the
entity name the query covers ("Lovelace" -> "Ada Lovelace" when "lovelace" is rare).
Embedding similarity enters search as dense passage seeds (see `local_search`), which
costs one query embedding instead of embedding every entity name at load time.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from agentkit.graphrag.names import normalize
from agentkit.graphrag.types import ENTITY

if TYPE_CHECKING:
    import networkx as nx

MAX_NGRAM = 6
STOPWORDS = frozenset(
    "a an and are as at be been but by can could did do does for from had has have he her his how i if in "
    "into is it its me my no not of on or our she so than that the their them then there these they this "
    "to us was we were what when where which who whom whose why will with would you your".split()
)


class LinkedEntity(BaseModel):
    """A graph entity the query names, and how sure the link is (0-1]."""

    model_config = ConfigDict(frozen=True)

    node: str = Field(description="graph node id, e:<key>")
    name: str
    score: float
    matched: str = Field(description="the query words that linked it")
    method: str = Field(description="exact: a whole name or alias; partial: IDF-weighted word overlap")


class LinkingConfig(BaseModel):
    """How loosely the query's words may name an entity."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    partial_threshold: float = Field(0.5, ge=0, le=1, description="least IDF share of a name a partial match covers")
    max_partial: int = Field(5, ge=0, description="partial links kept per query word")


@dataclass
class EntityLinker:
    """Lookup tables over one graph's entity names (built once per graph)."""

    exact: dict[str, set[str]]  # normalised name or alias -> entity nodes
    by_word: dict[str, set[str]]  # word -> entity nodes whose name has it
    words: dict[str, tuple[str, ...]]  # entity node -> the words of its key
    idf: dict[str, float]
    names: dict[str, str]
    config: LinkingConfig

    @classmethod
    def of(cls, graph: nx.Graph, config: LinkingConfig | None = None) -> "EntityLinker":
        """Index the entity nodes of `graph` (node ids e:<key>, attrs name, aliases)."""
        exact: dict[str, set[str]] = defaultdict(set)
        by_word: dict[str, set[str]] = defaultdict(set)
        words: dict[str, tuple[str, ...]] = {}
        names: dict[str, str] = {}
        for node, data in graph.nodes(data=True):
            if data.get("kind") != "entity":
                continue
            key = node[len(ENTITY):]
            names[node] = str(data.get("name") or key)
            words[node] = tuple(key.split())
            for form in {key, *(normalize(str(alias)) for alias in data.get("aliases") or [])}:
                if form:
                    exact[form].add(node)
            for word in set(words[node]) - STOPWORDS:
                by_word[word].add(node)
        total = max(len(words), 1)
        idf = {word: math.log(1 + total / len(nodes)) for word, nodes in by_word.items()}
        return cls(dict(exact), dict(by_word), words, idf, names, config or LinkingConfig())

    def link(self, query: str) -> list[LinkedEntity]:
        """The entities `query` names, best first (ties by name)."""
        tokens = normalize(query).split()
        found: dict[str, LinkedEntity] = {}
        taken = [False] * len(tokens)
        for n in range(min(MAX_NGRAM, len(tokens)), 0, -1):
            for start in range(len(tokens) - n + 1):
                if any(taken[start:start + n]):
                    continue
                gram = tokens[start:start + n]
                if gram[0] in STOPWORDS or gram[-1] in STOPWORDS:
                    continue
                phrase = " ".join(gram)
                for node in self.exact.get(phrase, ()):
                    found.setdefault(node, LinkedEntity(node=node, name=self.names[node], score=1.0,
                                                        matched=phrase, method="exact"))
                if phrase in self.exact:
                    taken[start:start + n] = [True] * n
        free = {t for t, used in zip(tokens, taken) if not used and t not in STOPWORDS}
        for word in sorted(free):
            partial = []
            for node in self.by_word.get(word, ()):
                if node in found:
                    continue
                name_words = set(self.words[node]) - STOPWORDS
                covered = name_words & free
                share = sum(self.idf.get(w, 0.0) for w in covered) / max(
                    sum(self.idf.get(w, 0.0) for w in name_words), 1e-9)
                if share >= self.config.partial_threshold:
                    partial.append(LinkedEntity(node=node, name=self.names[node], score=round(share, 4),
                                                matched=" ".join(sorted(covered)), method="partial"))
            partial.sort(key=lambda e: (-e.score, e.name))
            for entity in partial[:self.config.max_partial]:
                found.setdefault(entity.node, entity)
        return sorted(found.values(), key=lambda e: (-e.score, e.name, e.node))

"""Entity resolution: which normalised names are one entity (every merge recorded, reversible).

Candidates are found cheaply, never by comparing every pair:
- acronyms: an all-capitals single word and the one multi-word name whose initials it
  spells ("NASA" ~ "National Aeronautics and Space Administration"; two such names: none),
  when that name reads like an institution or a thing (it has a word like "Administration",
  "Party", "Index") or is named at least 5 times (20 for two letters: "US" ~ "United
  States", not "DJ" ~ "David Jones"), never a rare
  person's or place's name ("MVP" is not "Marcus Vitruvius Pollio", nor "BWV" "Buckeye,
  West Virginia"), and when the acronym is not named more than
  three times as often as the name (then it mostly stands for something else: "BBC" is not
  "Boston Beer Company" in a corpus that says "BBC" everywhere);
- word order: the same words, connectors aside, in another order ("Treaty of Versailles" ~
  "Versailles Treaty");
- spelling: names that differ in one long word, by a high similarity of that word
  (difflib; a single-word name only from 10 letters), neither a prefix of the other nor
  another ending of one stem ("Tchaikovsky" ~
  "Tchaikovski", never "Robert" ~ "Roberta", "Anglicans" ~ "Anglicanism", "World War I" ~
  "World War II");
- embeddings (optional): a name and the one longer name with the same first and last word
  and only inner words added, middle names in effect ("Sheldon Axler" ~ "Sheldon Jay
  Axler"; never "Tigers" ~ "Detroit Tigers", "Nelson Mandela" ~ "Winnie Mandela", nor
  "John Smith" when several longer John ... Smiths exist), whose embeddings are close.
  Names with a common noun ("Royal Navy", "Red River", "National League"), a number or a
  compass word are left alone: an inserted word there usually names another thing.
Pairs are joined strongest first; a join that would put a `blocked` pair (one the user
unmerged) in one entity is skipped, so chains cannot undo an unmerge. Each group of
names gets one canonical key: the most mentioned (tie: shorter, then alphabetical).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from difflib import SequenceMatcher
from itertools import combinations
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from agentkit.graphrag.names import CONNECTORS, initials

Embed = Callable[[list[str]], np.ndarray]
_GENERIC = frozenset("""
    river lake sea bay island mountain mountains valley park street road avenue airport station bridge
    city county state republic kingdom empire province district region area village town church cathedral
    university college school academy institute museum library hospital navy army force league party
    department ministry government council committee society association union federation company group
    studio studios records pictures network channel show series games cup championship championships prize
    award awards hall fame club team act law treaty war battle expedition line cruises band orchestra
""".split())
_INSTITUTIONAL = frozenset("""
    administration agency alliance authority bank board broadcasting bureau center centre command
    commission conference confederation corporation corps council division festival foundation front fund
    index institution movement office order organization organisation program programme report service
    services system trust conseil consejo
""".split())
_ENDINGS = ("", "s", "es", "ism", "isms", "ist", "ists", "ian", "ians", "an", "ans", "ic", "ics", "al", "ese")
_COMPASS = frozenset("north south east west northern southern eastern western upper lower new old greater little "
                     "northeast northwest southeast southwest central".split())
_ROMAN = frozenset("i ii iii iv v vi vii viii ix x xi xii xiii xiv xv xvi xvii xviii xix xx".split())


class ResolutionConfig(BaseModel):
    """When two names are merged into one entity."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    string_threshold: float = Field(0.9, gt=0, le=1, description="similarity of the one differing word")
    embedding_threshold: float = Field(0.88, gt=0, le=1, description="cosine of the two names' embeddings")
    use_embeddings: bool = Field(True, description="also merge by embedding similarity")
    rare_word: int = Field(8, ge=2, description="a word shared by at most this many names pairs them "
                           "up for the spelling comparison")


class Merge(BaseModel):
    """`alias` is folded into `canonical` (undo: keep the pair apart and rebuild)."""

    model_config = ConfigDict(frozen=True)

    alias: str
    canonical: str
    method: Literal["string", "embedding"]
    score: float


_Edge = tuple[float, str, str, str]  # (score, method, a, b) with a < b


def find_merges(
    forms: Mapping[str, Counter[str]],
    config: ResolutionConfig = ResolutionConfig(),
    embed: Embed | None = None,
    blocked: set[tuple[str, str]] | None = None,
) -> list[Merge]:
    """The merges among `forms` (key -> surface form counts), sorted by canonical then alias;
    the same input gives the same merges."""
    keys = sorted(key for key in forms if key)
    frequency = {key: sum(forms[key].values()) for key in keys}
    edges = [*_acronym_edges(keys, forms, frequency), *_word_order_edges(keys),
             *_spelling_edges(_shared_word_pairs(keys, config.rare_word), config)]
    if embed is not None and config.use_embeddings:
        joined = {(a, b) for _, _, a, b in edges}
        edges += _embedding_edges([p for p in _inner_word_pairs(keys) if p not in joined], embed, config)
    return _merges(edges, frequency, {tuple(p) for p in blocked or set()})


def _shared_word_pairs(keys: list[str], rare: int) -> list[tuple[str, str]]:
    """Name pairs sharing a rare word, or (single words) their first four letters."""
    blocks: dict[str, list[str]] = defaultdict(list)
    for key in keys:
        words = key.split()
        for word in set(words):
            if len(word) > 2 and word not in _ROMAN and not word.isdigit():
                blocks[word].append(key)
        if len(words) == 1 and len(key) >= 6:
            blocks["\x00" + key[:4]].append(key)
    pairs = {pair for members in blocks.values() if 1 < len(members) <= rare
             for pair in combinations(sorted(members), 2)}
    return sorted(pairs)


def _acronym_edges(keys: list[str], forms: Mapping[str, Counter[str]],
                   frequency: Mapping[str, int]) -> Iterable[_Edge]:
    """An all-capitals word and the only multi-word name it abbreviates."""
    expansions: dict[str, list[str]] = defaultdict(list)
    for key in keys:
        if (spelled := initials(key)) and len(spelled) > 1:
            expansions[spelled].append(key)
    expansions = {acronym: [k for k in found if _institutional(k) or frequency[k] >= 5 and _same_numbers(k, "")]
                  for acronym, found in expansions.items()}
    for key in keys:
        if " " in key or not key.isalpha() or not 2 <= len(key) <= 8:
            continue
        if not any(form.replace(".", "").isupper() for form in forms[key]):
            continue
        found = [k for k in expansions.get(key, []) if len(key) > 2 or frequency[k] >= 20]
        if len(found) == 1 and frequency[key] <= 3 * frequency[found[0]]:
            yield (1.0, "string", *sorted((key, found[0])))


def _word_order_edges(keys: list[str]) -> Iterable[_Edge]:
    """Names with the same words (connectors aside) in another order."""
    groups: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for key in keys:
        if " " in key and len(content := _content(key)) > 1:
            groups[tuple(sorted(content))].append(key)
    for members in groups.values():
        for a, b in combinations(members, 2):
            yield (1.0, "string", a, b)


def _spelling_edges(pairs: list[tuple[str, str]], config: ResolutionConfig) -> Iterable[_Edge]:
    """Names that differ in one long word, spelled almost alike."""
    for a, b in pairs:
        words_a, words_b = a.split(), b.split()
        if len(words_a) != len(words_b):
            continue
        differing = [(x, y) for x, y in zip(words_a, words_b) if x != y]
        if len(differing) != 1 or (len(words_a) == 1 and min(len(a), len(b)) < 10):
            continue
        x, y = differing[0]
        if min(len(x), len(y)) < 4 or x.startswith(y) or y.startswith(x) or not _same_numbers(x, y) \
                or _other_ending(x, y):
            continue
        score = SequenceMatcher(None, x, y).ratio()
        if score >= config.string_threshold:
            yield (round(score, 4), "string", a, b)


def _inner_word_pairs(keys: list[str]) -> list[tuple[str, str]]:
    """(shorter, longer) names with the same first and last word, the longer only adding inner
    words (no numbers, no compass words): "sheldon axler" / "sheldon jay axler"."""
    ends: dict[tuple[str, str], list[tuple[str, list[str]]]] = defaultdict(list)
    for key in keys:
        words = key.split()
        if len(words) > 1 and not any(w in _GENERIC or w in CONNECTORS for w in words):
            ends[words[0], words[-1]].append((key, words))
    longer: dict[str, list[str]] = defaultdict(list)
    for group in ends.values():
        for (a, words_a), (b, words_b) in combinations(group, 2):
            (short, s_words), (long, l_words) = sorted([(a, words_a), (b, words_b)], key=lambda x: len(x[1]))
            if len(s_words) < len(l_words) and _inner_only(s_words, l_words):
                longer[short].append(long)
    return sorted(tuple(sorted((short, found[0]))) for short, found in longer.items()  # type: ignore[misc]
                  if len(found) == 1)


def _inner_only(short: list[str], long: list[str]) -> bool:
    """`long` is `short` with words inserted (in order), none of them a number or a compass word."""
    rest = iter(long)
    if not all(word in rest for word in short):
        return False
    added = list(long)
    for word in short:
        added.remove(word)
    return not any(w in _ROMAN or w in _COMPASS or any(c.isdigit() for c in w) for w in added)


def _content(key: str) -> list[str]:
    return [word for word in key.split() if word not in CONNECTORS]


def _embedding_edges(pairs: list[tuple[str, str]], embed: Embed, config: ResolutionConfig) -> list[_Edge]:
    """Candidate pairs whose embeddings are close."""
    if not pairs:
        return []
    names = sorted({key for pair in pairs for key in pair})
    vectors = np.asarray(embed(names), dtype=np.float32)
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    row = {name: i for i, name in enumerate(names)}
    edges: list[_Edge] = []
    for a, b in pairs:
        score = float(vectors[row[a]] @ vectors[row[b]])
        if score >= config.embedding_threshold:
            edges.append((round(score, 4), "embedding", a, b))
    return edges


def _institutional(key: str) -> bool:
    """A name with a word of an institution or a thing, and no number ("royal air force")."""
    words = key.split()
    return any(w in _GENERIC or w in _INSTITUTIONAL for w in words) and all(
        w not in _ROMAN and not any(c.isdigit() for c in w) for w in words)


def _other_ending(x: str, y: str) -> bool:
    """One stem with two endings: "anglicans" / "anglicanism", "precisionist" / "precisionism"."""
    return any(x.endswith(a) and y.endswith(b) and x[:len(x) - len(a)] == y[:len(y) - len(b)]
               for a in _ENDINGS for b in _ENDINGS if a != b)


def _same_numbers(a: str, b: str) -> bool:
    """Both names state the same numbers (digits or roman numerals): "Super Bowl 50" is not 51."""
    def numbers(text: str) -> set[str]:
        return {w for w in text.split() if w in _ROMAN or any(c.isdigit() for c in w)}
    return numbers(a) == numbers(b)


def _merges(edges: list[_Edge], frequency: Mapping[str, int], blocked: set[tuple[str, str]]) -> list[Merge]:
    """Join names strongest pair first (never a blocked pair), then name each group's canonical key."""
    parent: dict[str, str] = {}
    members: dict[str, set[str]] = {}

    def root(key: str) -> str:
        while parent.get(key, key) != key:
            key = parent[key]
        return key

    best: dict[str, tuple[float, str]] = {}
    for score, method, a, b in sorted(set(edges), key=lambda e: (-e[0], e[1], e[2], e[3])):
        ra, rb = root(a), root(b)
        if ra == rb:
            continue
        group_a, group_b = members.get(ra, {ra}), members.get(rb, {rb})
        if any((x, y) in blocked or (y, x) in blocked for x in group_a for y in group_b):
            continue
        parent[rb] = ra
        members[ra] = group_a | group_b
        members.pop(rb, None)
        for key in (a, b):
            best.setdefault(key, (score, method))
    merges: list[Merge] = []
    for group in members.values():
        canonical = min(group, key=lambda k: (-frequency[k], len(k), k))
        for alias in sorted(group - {canonical}):
            score, method = best[alias]
            merges.append(Merge(alias=alias, canonical=canonical, method=method, score=score))  # type: ignore[arg-type]
    return sorted(merges, key=lambda m: (m.canonical, m.alias))

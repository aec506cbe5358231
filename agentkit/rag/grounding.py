"""Is an answer supported by the passages it cites? A lexical, sentence-level check.

A sentence's support is the share of its content words (stemmed, stopwords out) found
in the passages; the answer's groundedness is its least supported sentence's share,
times the share of its names and numbers (capitalized words, digits) the passages
contain. On HaluEval QA this separates reference from hallucinated answers far better
than embedding similarity does (see `agentkit eval groundedness`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from agentkit.rag.stores.embedded import lexical_tokens

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n\s*\n")
_CITATION = re.compile(r"\[\s*\d+(?:\s*,\s*\d+)*\s*\]")
_NAME_OR_NUMBER = re.compile(r"\b(?:[A-Z][\w'-]+|\d[\d,.]*)\b")
SHORT_ANSWER_WORDS = 3
_NOT_NAMES = {"the", "a", "an", "it", "he", "she", "they", "we", "i", "in", "on", "yes", "no", "this", "that"}


def sentences(text: str) -> list[str]:
    """Sentences of `text` (citation markers removed, hard line wraps joined), empty ones dropped."""
    cleaned = _CITATION.sub("", text)
    return [" ".join(s.split()) for s in _SENTENCE_END.split(cleaned) if len(s.strip()) > 1]


@dataclass(frozen=True)
class Grounding:
    """Support of each answer sentence (None: no content words), the share of names and
    numbers found, and the overall score."""

    score: float
    per_sentence: list[tuple[str, float | None]]
    names_found: float


def groundedness(answer: str, passages: Sequence[str]) -> Grounding:
    """How well `passages` support `answer`: 0 (not at all) to 1 (every word and name)."""
    claims = sentences(answer)
    if not claims or not any(p.strip() for p in passages):
        return Grounding(0.0, [(c, 0.0) for c in claims], 0.0)
    vocabulary = {t for tokens in lexical_tokens(list(passages)) for t in tokens}
    per_sentence = [(claim, coverage(claim, vocabulary)) for claim in claims]
    said = [score for _, score in per_sentence if score is not None]
    names = [n for n in _NAME_OR_NUMBER.findall(_CITATION.sub("", answer)) if n.lower() not in _NOT_NAMES]
    haystack = " ".join(passages).lower()
    names_found = sum(n.lower() in haystack for n in names) / len(names) if names else 1.0
    if not said:  # nothing checkable: a bare "yes" / "R&B" passes, filler does not
        return Grounding(1.0 if len(answer.split()) <= SHORT_ANSWER_WORDS else 0.0, per_sentence, names_found)
    return Grounding(min(said) * names_found, per_sentence, names_found)


def coverage(sentence: str, vocabulary: set[str]) -> float | None:
    """Share of the sentence's content words in `vocabulary` (None: it has none)."""
    words = lexical_tokens([sentence])[0]
    return sum(w in vocabulary for w in words) / len(words) if words else None

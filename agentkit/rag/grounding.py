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

from agentkit.rag.text import lexical_tokens
from agentkit.rag.text import sentences as prose_sentences

ABSTAIN = "The documents do not contain an answer to this question."
"""The answer when nothing grounded can be said."""
QUOTE_PREFIX = "The documents say:"
"""How an answer that quotes a document sentence starts (the `quote` fallback)."""
_CITATION = re.compile(r"\[\s*\d+(?:\s*,\s*\d+)*\s*\]")
_NAME_OR_NUMBER = re.compile(r"\b(?:[A-Z][\w'-]+|\d[\d,.]*)\b")
SHORT_ANSWER_WORDS = 3
_ABOUT_ANSWERING = frozenset(lexical_tokens(["answer question document passage context source information"])[0])
"""Words a lead-in like "The answer is:" is made of: they claim nothing."""
_NOT_NAMES = {"the", "a", "an", "it", "he", "she", "they", "we", "i", "in", "on", "yes", "no", "this", "that"}


def sentences(text: str) -> list[str]:
    """Sentences of `text` (citation markers removed, hard line wraps joined), empty ones dropped."""
    return [" ".join(s.split()) for s in prose_sentences(_CITATION.sub("", text)) if len(s) > 1]


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
    if all(_only_about_answering(claim) for claim in claims):  # "The answer is: [1]"
        return Grounding(0.0, per_sentence, 0.0)
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


def _only_about_answering(sentence: str) -> bool:
    words = lexical_tokens([sentence])[0]
    return bool(words) and all(w in _ABOUT_ANSWERING for w in words)


def attribute(answer: str, passages: list[str], least: float = 0.5) -> tuple[str, list[int]]:
    """Mark each answer sentence with the passage (1-based) covering most of its words, if
    it covers at least `least` of them; returns the marked answer and the cited numbers."""
    vocabularies = [set(tokens) for tokens in lexical_tokens(passages)]
    marked, cited = [], set()
    for claim in sentences(answer):
        shares = [coverage(claim, vocabulary) or 0.0 for vocabulary in vocabularies]
        best = max(range(len(shares)), key=shares.__getitem__)
        if shares[best] >= least:
            cited.add(best + 1)
            claim = f"{claim} [{best + 1}]"
        marked.append(claim)
    return " ".join(marked), sorted(cited)


def best_quote(question: str, passages: list[str]) -> tuple[str, int] | None:
    """The passage sentence covering most of the question's content words (at least half;
    Markdown headings left out), and its passage's 1-based number."""
    asked = set(lexical_tokens([question])[0])
    scored = [
        (len(asked & set(lexical_tokens([s])[0])) / len(asked), n, s)
        for n, passage in enumerate(passages, start=1) for s in sentences(passage)
        if asked and not s.startswith("#")
    ]
    share, n, sentence = max(scored, default=(0.0, 0, ""))
    return (sentence, n) if share >= 0.5 else None

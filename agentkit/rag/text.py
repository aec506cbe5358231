"""Tokenising and sentence splitting for retrieval, reranking and grounding: one place.

Two tokenisers, because two fitted artefacts depend on them: `lexical_tokens` is the BM25
tokeniser (what the embedded store's index holds, so queries must match it), `terms` the
reranker's (its shipped parameters were fit on it). One sentence splitter, with a
`lines` switch for chunking (which must keep its boundaries: chunk ids hash the text).
Entity extraction (`agentkit/graphrag/lexical.py`) reads a different token stream: cased
words, abbreviations, initials and possessives as tokens, and sentences split over those
tokens so "St. Louis" stays one name; nothing here keeps that.
"""

from __future__ import annotations

import re
from typing import Sequence

import bm25s
import Stemmer

STEMMER = Stemmer.Stemmer("english")
RERANK_STOPWORDS = frozenset(
    "a an and are as at be but by for if in into is it no not of on or such that the their "
    "then there these they this to was will with".split()
)
_WORD = re.compile(r"\w+")
_PROSE_BOUNDARY = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(\[])|\n\s*\n")
_LINE_BOUNDARY = re.compile(r"\n\s*\n|\n|(?<=[.!?;])\s+")


def lexical_tokens(texts: Sequence[str]) -> list[list[str]]:
    """Lower-cased words of 2+ characters without English stopwords, Snowball-stemmed
    (bm25s' tokeniser: the BM25 index, lexical overlap and groundedness use it)."""
    return bm25s.tokenize(list(texts), stopwords="en", stemmer=STEMMER, return_ids=False,
                          show_progress=False)


def bm25_corpus_tokens(texts: Sequence[str]) -> bm25s.tokenization.Tokenized:
    """`lexical_tokens` of a corpus as bm25s indexes it (token ids and vocabulary)."""
    return bm25s.tokenize(list(texts), stopwords="en", stemmer=STEMMER, show_progress=False)


def terms(text: str) -> set[str]:
    """Lower-cased words without a few English stopwords, unstemmed (reranker features)."""
    return {w for w in _WORD.findall(text.lower()) if w not in RERANK_STOPWORDS}


def sentence_spans(text: str, *, lines: bool = False) -> list[tuple[int, int]]:
    """Character spans of the sentences of `text`, separators left out.

    Prose (default): a sentence ends at . ! ? followed by whitespace and a capital, digit
    or bracket (so "e.g. the" stays whole), or at a blank line; a single line break is a
    hard wrap, not an end. `lines=True` (chunking units): it also ends at every line break
    and after ';', whatever follows."""
    boundary = _LINE_BOUNDARY if lines else _PROSE_BOUNDARY
    spans, start = [], 0
    for match in boundary.finditer(text):
        if match.start() > start:
            spans.append((start, match.start()))
        start = match.end()
    if start < len(text):
        spans.append((start, len(text)))
    return spans


def sentences(text: str, *, lines: bool = False) -> list[str]:
    """The non-empty sentences of `text`, stripped (see `sentence_spans`)."""
    return [s for start, end in sentence_spans(text, lines=lines) if (s := text[start:end].strip())]


def complete_sentences(text: str) -> str:
    """`text` without a trailing sentence cut off by a token limit."""
    text = text.strip()
    end = max(text.rfind(mark) for mark in ".!?")
    return text[: end + 1] if end > 0 and not text.endswith((".", "!", "?")) else text

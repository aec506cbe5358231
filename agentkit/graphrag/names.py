"""Entity names: the normalised key every mention of a name is filed under.

`normalize` is the one definition of "the same name" for the graph: a document's title
and a passage naming it share a key ("Lilu (mythology)" and "Lilu" -> "lilu"), as do
case, accent, punctuation and article variants ("The Beatles", "beatles").
"""

from __future__ import annotations

import html
import re
import unicodedata

ARTICLES = frozenset({"the", "a", "an"})
CONNECTORS = frozenset({"of", "the", "and", "for", "de", "du", "des", "la", "le", "les", "da", "di", "del",
                        "della", "do", "dos", "das", "van", "von", "der", "den", "in", "on", "at", "to", "y"})
_DISAMBIGUATION = re.compile(r"\s*\([^()]*\)\s*$")
_POSSESSIVE = re.compile(r"['\u2019]s$")
_APOSTROPHE = re.compile(r"['\u2019`\u00b4]")
_NON_WORD = re.compile(r"[\W_]+")


def normalize(name: str) -> str:
    """The key of `name`: HTML entities read ("&amp;"), casefolded, accents stripped, a trailing parenthesised
    disambiguation and a final possessive dropped, apostrophes removed ("O'Brien" ->
    "obrien"), '&' read as "and", other punctuation made a space, runs of single letters
    joined ("B.B.C." -> "bbc"), a leading article dropped ("The Who" -> "who"); "" when
    nothing with a letter or digit is left."""
    text = html.unescape(name).strip() if "&" in name else name.strip()
    text = _DISAMBIGUATION.sub("", text) or text
    text = _POSSESSIVE.sub("", text)
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = _APOSTROPHE.sub("", text.replace("&", " and "))
    tokens = _join_initials(_NON_WORD.sub(" ", text).split())
    if len(tokens) > 1 and tokens[0] in ARTICLES:
        tokens = tokens[1:]
    return " ".join(tokens)


def _join_initials(tokens: list[str]) -> list[str]:
    """Runs of two or more single letters become one token ("j r r tolkien" -> "jrr tolkien")."""
    joined: list[str] = []
    run: list[str] = []
    for token in [*tokens, ""]:
        if len(token) == 1 and token.isalpha():
            run.append(token)
            continue
        if run:
            joined.extend(["".join(run)] if len(run) > 1 else run)
            run = []
        if token:
            joined.append(token)
    return joined


def initials(key: str) -> str:
    """The acronym a normalised multi-word name would have: first letters of its words
    without connectors ("national aeronautics and space administration" -> "nasa");
    "" for a single word."""
    words = key.split()
    if len(words) < 2:
        return ""
    return "".join(word[0] for word in words if word not in CONNECTORS)

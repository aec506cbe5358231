"""Multi-hop figures: support recall over the first k distinct documents, and SQuAD's
exact match and token F1 of an answer against its reference answers.

`ranking` is a list of document ids, best first, without repeats (chunks are turned
into documents by `retrieval.metrics.documents_by_best_rank` before scoring).
"""

from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Sequence

RECALL_KS = (2, 5)
ALL_SUPPORT_K = 5
_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCTUATION = set(string.punctuation)


def support_recall(ranking: Sequence[str], supporting: Sequence[str], k: int) -> float:
    """Share of the supporting documents among the first k documents (0 without any)."""
    gold = set(supporting)
    return len(gold.intersection(ranking[:k])) / len(gold) if gold else 0.0


def all_support(ranking: Sequence[str], supporting: Sequence[str], k: int = ALL_SUPPORT_K) -> float:
    """1.0 when every supporting document is among the first k documents, else 0.0."""
    return float(bool(supporting) and set(supporting) <= set(ranking[:k]))


def retrieval_scores(ranking: Sequence[str], supporting: Sequence[str]) -> dict[str, float]:
    """The retrieval figures the eval reports for one question."""
    scores = {f"recall_at_{k}": support_recall(ranking, supporting, k) for k in RECALL_KS}
    scores[f"all_support_at_{ALL_SUPPORT_K}"] = all_support(ranking, supporting)
    return scores


def normalize_answer(text: str) -> str:
    """SQuAD's normalisation: lower case, punctuation and articles removed, spaces collapsed."""
    text = "".join(ch for ch in text.lower() if ch not in _PUNCTUATION)
    return " ".join(_ARTICLES.sub(" ", text).split())


def exact_match(prediction: str, answers: Sequence[str]) -> float:
    """1.0 when the normalised prediction equals a normalised reference answer."""
    return float(any(normalize_answer(prediction) == normalize_answer(a) for a in answers))


def token_f1(prediction: str, answers: Sequence[str]) -> float:
    """The best token-overlap F1 against any reference answer (SQuAD / HotpotQA; a yes/no
    reference only matches exactly)."""
    return max((_f1(normalize_answer(prediction), normalize_answer(a)) for a in answers), default=0.0)


def _f1(prediction: str, answer: str) -> float:
    if prediction in ("yes", "no", "noanswer") or answer in ("yes", "no", "noanswer"):
        return float(prediction == answer)
    predicted, gold = prediction.split(), answer.split()
    common = sum((Counter(predicted) & Counter(gold)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(predicted), common / len(gold)
    return 2 * precision * recall / (precision + recall)

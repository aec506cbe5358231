"""Global graph search: map–reduce over community reports, for corpus-wide questions.

Reports are pre-ranked by how much of the question's (rare) words they contain, ties and
word-less questions ("what are the main themes?") by the report's rank, and only the best
`max_reports` are read. Map: the model answers from one report as constrained JSON
`{answer, score}` (0-100, how helpful the partial answer is); score 0 is dropped. Reduce:
the best `best` partial answers are combined into one answer, which lists the reports
(and their chunk ids) it rests on.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from langchain_core.exceptions import OutputParserException
from langchain_core.language_models import BaseChatModel
from langchain_core.runnables import RunnableConfig
from pydantic import BaseModel, ConfigDict, Field

from agentkit.errors import ConfigError
from agentkit.prompts import Prompt
from agentkit.rag.text import complete_sentences, lexical_tokens

if TYPE_CHECKING:
    from agentkit.graphrag.reports import CommunityReport

NOTHING_FOUND = "The knowledge graph's community reports do not answer this question."



def map_schema(max_chars: int) -> dict[str, Any]:
    """The map step's reply: a partial answer of at most `max_chars` and its helpfulness."""
    return {
        "type": "object",
        "properties": {
            "answer": {"type": "string", "maxLength": max_chars},
            "score": {"type": "integer", "minimum": 0, "maximum": 100},
        },
        "required": ["answer", "score"],
        "additionalProperties": False,
    }


MAP_PROMPT = Prompt(
    name="graph_global_map",
    system=("You read one report about a group of related entities in a document collection. "
            "Answer the question from this report only, in one or two sentences, and rate from 0 to "
            "100 how helpful your answer is (0: the report says nothing about it)."),
    template="Report:\n{report}\n\nQuestion: {question}",
)

REDUCE_PROMPT = Prompt(
    name="graph_global_reduce",
    system=("Combine the partial answers, most helpful first, into one short answer to the question. "
            "Use only what they say."),
    template="Partial answers:\n{points}\n\nQuestion: {question}",
)


class GlobalConfig(BaseModel):
    """How many reports are read and combined, and how long the model may write."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_reports: int = Field(8, ge=1, description="reports mapped (the best by pre-ranking)")
    level: int | None = Field(None, ge=0, description="only reports of this community level (None: all)")
    best: int = Field(4, ge=1, description="partial answers the reduce step combines")
    map_chars: int = Field(300, ge=20, description="longest partial answer in characters (the map step lets the "
                           "model generate up to map_chars + 32 tokens, so any answer of that length fits)")
    reduce_tokens: int = Field(160, ge=16, description="longest final answer in tokens")
    report_chars: int = Field(1500, ge=100, description="report text shown to the model, cut at this length")


class MapPoint(BaseModel):
    """One report's partial answer and its helpfulness."""

    community: str
    title: str
    answer: str
    score: int
    chunk_ids: list[str]


class GlobalAnswer(BaseModel):
    """The combined answer, the partial answers it rests on, and the reports that were read."""

    answer: str
    points: list[MapPoint]
    read: list[str] = Field(description="community ids of the reports mapped")

    def sources(self) -> str:
        """The reports the answer rests on, each with its chunk ids (for citation)."""
        return "\n".join(f"[{n}] community {p.community}: {p.title} (chunks {', '.join(p.chunk_ids[:8])})"
                         for n, p in enumerate(self.points, start=1))


def rank_reports(question: str, reports: Sequence[CommunityReport], config: GlobalConfig) -> list[CommunityReport]:
    """The `max_reports` reports most worth reading for `question`: IDF-weighted share of the
    question's words in the report, then the report's rank."""
    pool = [r for r in reports if config.level is None or r.level == config.level]
    if not pool:
        return []
    texts = lexical_tokens([question, *(f"{r.title}\n{r.summary}" for r in pool)])
    asked, words = set(texts[0]), [set(t) for t in texts[1:]]
    frequency = Counter(w for ws in words for w in ws & asked)
    idf = {w: math.log(1 + len(pool) / (1 + frequency[w])) for w in asked}
    total = sum(idf.values()) or 1.0
    top_rank = max(r.rank for r in pool) or 1.0

    def score(i: int) -> tuple[float, float, str]:
        overlap = sum(idf[w] for w in words[i] & asked) / total
        return (-(overlap + 0.1 * pool[i].rank / top_rank), -pool[i].rank, pool[i].community)

    return [pool[i] for i in sorted(range(len(pool)), key=score)[:config.max_reports]]


MAP_OVERHEAD_TOKENS = 32  # the JSON around a map answer: keys, quotes, the score, end of turn


def _with_room(model: BaseChatModel, tokens: int) -> BaseChatModel:
    """`model` allowed at least `tokens` tokens per reply (a string of n characters can take
    n tokens, so a smaller cap could cut the JSON short)."""
    cap = getattr(model, "max_tokens", None)
    return model.model_copy(update={"max_tokens": tokens}) if isinstance(cap, int) and cap < tokens else model


def global_search(
    question: str,
    reports: Sequence[CommunityReport],
    model: BaseChatModel,
    config: GlobalConfig | None = None,
    run_config: RunnableConfig | None = None,
) -> GlobalAnswer:
    """Map–reduce `question` over the best reports with `model`."""
    config = config or GlobalConfig()
    read = rank_reports(question, reports, config)
    mapper = _with_room(model, config.map_chars + MAP_OVERHEAD_TOKENS).with_structured_output(
        map_schema(config.map_chars))
    points = []
    for report in read:
        values = {"report": report.summary[:config.report_chars], "question": question}
        try:
            reply = mapper.invoke(MAP_PROMPT.to_messages(values), run_config)
        except OutputParserException as exc:
            raise ConfigError(f"global graph search: the map step over community {report.community} gave "
                              f"no usable JSON ({exc}); raise the chat model's max_tokens or lower map_chars") from None
        answer, score = str(reply.get("answer", "")).strip(), int(reply.get("score", 0))
        if score > 0 and answer:
            points.append(MapPoint(community=report.community, title=report.title, answer=answer,
                                   score=score, chunk_ids=report.chunk_ids))
    points.sort(key=lambda p: (-p.score, p.community))
    points = points[:config.best]
    if not points:
        return GlobalAnswer(answer=NOTHING_FOUND, points=[], read=[r.community for r in read])
    listed = "\n".join(f"[{n}] (helpfulness {p.score}) {p.answer}" for n, p in enumerate(points, start=1))
    reply = model.bind(max_tokens=config.reduce_tokens).invoke(
        REDUCE_PROMPT.to_messages({"points": listed, "question": question}), run_config)
    answer = complete_sentences(reply.text) or points[0].answer
    return GlobalAnswer(answer=answer, points=points, read=[r.community for r in read])


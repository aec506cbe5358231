"""One report per community: what global search reads instead of the raw graph.

Extractive by default (no model, every line traceable): the community's most central
entities, its strongest relations and the sentences of its passages that name most of its
entities, each relation and sentence with the chunk ids that state it. `llm_report` lets a
chat model write the title and a short summary on top, keeping those cited parts.
"""

from __future__ import annotations

import hashlib
import math
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from functools import cache, lru_cache
from pathlib import Path

import networkx as nx
import orjson
from langchain_core.language_models import BaseChatModel
from langchain_core.runnables import RunnableConfig
from pydantic import BaseModel, Field

from agentkit.graphrag.communities import Community
from agentkit.graphrag.types import CHUNK, ENTITY
from agentkit.prompts import Prompt
from agentkit.rag.text import sentences as split_sentences

TOP_ENTITIES = 10
TOP_RELATIONS = 8
TOP_SENTENCES = 5
CANDIDATE_CHUNKS = 24
MAX_SENTENCE = 400
MIN_SENTENCE = 20
_FENCED = re.compile(r"```.*?(?:```|$)", re.DOTALL)
_BLOCK = re.compile(r"\n\s*(?:[-*+]\s|\d+[.)]\s|#{1,6}\s|\|)")
_STARTS = re.compile(r"[\"'`(\[*]?[A-Z0-9]")
_SYMBOLS = re.compile(r"[^\w ]|\d")
_ENDS = re.compile(r"[.!?][\"'`)\]*]*$")
SUMMARY_ENTITIES = 8
SUMMARY_RELATIONS = 5
SUMMARY_CITED = 3


class ReportRelation(BaseModel):
    """A relation inside the community, with the chunks that state it."""

    source: str
    target: str
    description: str = ""
    weight: float
    chunk_ids: list[str]


class CommunityReport(BaseModel):
    """What a community is about; `rank` orders reports by importance (more evidence first)."""

    community: str
    level: int
    title: str
    summary: str = Field(description="compact text for global search; cites [chunk ids]")
    entities: list[tuple[str, float]] = Field(description="(name, centrality inside the community)")
    relations: list[ReportRelation]
    sentences: list[tuple[str, str]] = Field(description="(sentence, chunk id) most central first")
    chunk_ids: list[str] = Field(description="every chunk the report cites")
    rank: float = Field(description="supporting chunks + internal relation weight")


def extractive_report(graph: nx.Graph, community: Community, chunk_texts: Mapping[str, str]) -> CommunityReport:
    """The report of `community` from the graph and the texts of its chunks (chunk id -> text;
    chunks missing from it are not quoted)."""
    members = set(community.entities)
    scores, internal = _inside(graph, members)
    top = sorted(members, key=lambda n: (-scores[n], -graph.nodes[n].get("mentions", 0), n))[:TOP_ENTITIES]
    relations = [
        ReportRelation(source=_name(graph, u), target=_name(graph, v), description=data.get("description", ""),
                       weight=round(float(data.get("weight", 1.0)), 3), chunk_ids=list(data.get("chunk_ids", [])))
        for (u, v), data in internal[:TOP_RELATIONS]
    ]
    sentences = _central_sentences(graph, top, scores, chunk_texts)
    report = CommunityReport(
        community=community.id, level=community.level, title=_title([_name(graph, n) for n in top]), summary="",
        entities=[(_name(graph, n), round(scores[n], 3)) for n in top], relations=relations, sentences=sentences,
        chunk_ids=sorted({c for r in relations for c in r.chunk_ids} | {c for _, c in sentences}),
        rank=round(len(community.chunk_ids) + sum(float(d.get("weight", 1.0)) for _, d in internal), 3),
    )
    types = {_name(graph, n): str(graph.nodes[n].get("type") or "") for n in top}
    return report.model_copy(update={"summary": _summary(report, _header(community), types)})


def report_key(community: Community, merged_into: Mapping[str, list[str]], digests: Mapping[str, str]) -> str:
    """A hash of everything `extractive_report` reads besides the community's id and level: its
    entities, the keys merged into each (entity node -> alias keys), its chunks (an id hashes the
    text) with a digest of each chunk's extraction (chunk id -> digest), and this code. Two
    communities with the same key get the same report, renumbered."""
    parts = [_code_digest(), [[e, merged_into.get(e, [])] for e in community.entities],
             [[c, digests.get(c, "")] for c in community.chunk_ids]]
    return hashlib.sha256(orjson.dumps(parts)).hexdigest()


def renumbered(report: CommunityReport, community: Community) -> CommunityReport:
    """A report (cached under `community`'s `report_key`) given `community`'s id and level."""
    old = _header(Community(id=report.community, level=report.level, entities=community.entities,
                            chunk_ids=community.chunk_ids))
    return report.model_copy(update={"community": community.id, "level": community.level,
                                     "summary": report.summary.replace(old, _header(community), 1)})


@cache
def _code_digest() -> str:
    """A digest of the code reports are written by (a cached report of older code is not reused)."""
    sources = [Path(__file__), Path(sys.modules[split_sentences.__module__].__file__ or "")]
    return hashlib.sha256(b"".join(path.read_bytes() for path in sources)).hexdigest()[:16]


def _header(community: Community) -> str:
    return (f"Community {community.id} (level {community.level}): {len(community.entities)} entities, "
            f"{len(community.chunk_ids)} passages")


def build_reports(graph: nx.Graph, communities: Iterable[Community],
                  chunk_texts: Mapping[str, str]) -> list[CommunityReport]:
    """Reports of every community of two or more entities, most important first."""
    reports = [extractive_report(graph, c, chunk_texts) for c in communities if len(c.entities) > 1]
    return sorted(reports, key=lambda r: (-r.rank, r.level, r.community))


def _summary(report: CommunityReport, header: str, types: Mapping[str, str]) -> str:
    """Title line, key entities, key relations and central sentences with their [chunk ids]."""
    lines = [f"# {report.title}", header, "Entities: " + ", ".join(
        f"{name} ({types[name]})" if types.get(name) else name for name, _ in report.entities[:SUMMARY_ENTITIES])]
    if report.relations:
        lines.append("Relations:")
        lines += [f"- {r.source} — {r.target}" + (f": {r.description}" if r.description else "")
                  + f" [{', '.join(r.chunk_ids[:SUMMARY_CITED])}]" for r in report.relations[:SUMMARY_RELATIONS]]
    if report.sentences:
        lines.append("Key sentences:")
        lines += [f"- {text} [{chunk_id}]" for text, chunk_id in report.sentences]
    return "\n".join(lines)


class _Written(BaseModel):
    title: str = Field(min_length=3, max_length=80)
    summary: str = Field(min_length=10, max_length=600)


LLM_REPORT = Prompt(
    name="community_report",
    system=("You summarise a group of related entities for a report. Write a short title and a "
            "summary of two or three sentences, using only the facts given."),
    template="{report}\n\nTitle and summary of this group:",
)


def llm_report(report: CommunityReport, chat_model: BaseChatModel, config: RunnableConfig | None = None,
               prompt: Prompt = LLM_REPORT) -> CommunityReport:
    """`report` with a title and overview written by `chat_model` (constrained JSON); the
    extractive entities, relations and cited sentences stay in the summary below it."""
    messages = prompt.to_messages({"report": report.summary})
    written = chat_model.with_structured_output(_Written).invoke(messages, config=config)
    if isinstance(written, dict):
        written = _Written.model_validate(written)
    updated = report.model_copy(update={"title": written.title.strip()})
    body = report.summary.split("\n", 1)[1] if "\n" in report.summary else ""
    summary = "\n".join([f"# {updated.title}", written.summary.strip(), body]).rstrip()
    return updated.model_copy(update={"summary": summary})


def _name(graph: nx.Graph, node: str) -> str:
    return str(graph.nodes[node].get("name") or node[len(ENTITY):])


def _title(names: list[str]) -> str:
    if len(names) <= 1:
        return names[0] if names else "(empty)"
    return ", ".join(names[:2]) + (f" and {names[2]}" if len(names) > 2 else "")


def _inside(graph: nx.Graph, members: set[str]) -> tuple[dict[str, float], list[tuple[tuple[str, str], dict]]]:
    """Each member's weighted degree inside the community (relation weights + chunks shared
    with other members), and the relation edges inside it, strongest first."""
    scores: dict[str, float] = dict.fromkeys(members, 0.0)
    relations: dict[tuple[str, str], dict] = {}
    shared: Counter[str] = Counter()
    for member in members:
        for other, data in graph.adj[member].items():
            if other.startswith(CHUNK):
                shared[other] += 1
            elif other in members and other != member and data.get("kind") == "relation":
                scores[member] += float(data.get("weight", 1.0))
                relations[(min(member, other), max(member, other))] = data
    for member in members:
        scores[member] += sum(shared[c] - 1 for c in graph.adj[member] if c.startswith(CHUNK))
    ranked = sorted(relations.items(), key=lambda item: (-float(item[1].get("weight", 1.0)), item[0]))
    return scores, ranked


@lru_cache(maxsize=8192)  # a chunk is quoted by the communities of each of its entities
def _prose(text: str) -> tuple[str, ...]:
    """The chunk's prose sentences on one line each: code blocks dropped, list items and
    headings split apart; fragments (a chunk starting or ending mid-sentence, a heading, the
    rest of a code block cut by chunking) and symbol runs skipped."""
    text = _FENCED.sub("\n\n", text)
    found = []
    for block in _BLOCK.split(text):
        for sentence in split_sentences(block):
            sentence = " ".join(sentence.split())
            if (len(sentence) >= MIN_SENTENCE and _STARTS.match(sentence) and _ENDS.search(sentence)
                    and len(_SYMBOLS.findall(sentence)) <= 0.3 * len(sentence)):
                found.append(sentence)
    return tuple(found)


def _names(text: str, form: str) -> bool:
    """`form` occurs in `text` as whole words."""
    start = text.find(form)
    while start >= 0:
        end = start + len(form)
        if (start == 0 or not text[start - 1].isalnum()) and (end == len(text) or not text[end].isalnum()):
            return True
        start = text.find(form, start + 1)
    return False


def _central_sentences(graph: nx.Graph, top: list[str], scores: Mapping[str, float],
                       chunk_texts: Mapping[str, str]) -> list[tuple[str, str]]:
    """The sentences naming most (by centrality) of the top entities, at most two per chunk."""
    if not top:
        return []
    weight = {n: 1.0 + math.log1p(max(scores[n], 0.0)) for n in top}
    forms: dict[str, str] = {}
    for node in top:
        data = graph.nodes[node]
        for form in [data.get("name", ""), *data.get("aliases", [])]:
            if len(form) > 1:
                forms.setdefault(form.casefold(), node)
    chunk_score: dict[str, float] = defaultdict(float)
    for node in top:
        for chunk_id in graph.nodes[node].get("chunk_ids", []):
            chunk_score[chunk_id] += weight[node]
    candidates = sorted((c for c in chunk_score if c in chunk_texts), key=lambda c: (-chunk_score[c], c))
    scored: list[tuple[float, str, str]] = []
    for chunk_id in candidates[:CANDIDATE_CHUNKS]:
        for sentence in _prose(chunk_texts[chunk_id]):
            folded = sentence.casefold()
            named = {node for form, node in forms.items() if _names(folded, form)}
            if named:
                text = sentence if len(sentence) <= MAX_SENTENCE else sentence[:MAX_SENTENCE - 1].rstrip() + "…"
                scored.append((math.fsum(weight[n] for n in named) * len(named), chunk_id, text))
    chosen: list[tuple[str, str]] = []
    per_chunk: Counter[str] = Counter()
    seen: set[str] = set()
    for _, chunk_id, text in sorted(scored, key=lambda s: (-s[0], s[1], s[2])):
        if per_chunk[chunk_id] >= 2 or any(text in other or other in text for other in seen):
            continue
        chosen.append((text, chunk_id))
        seen.add(text)
        per_chunk[chunk_id] += 1
        if len(chosen) == TOP_SENTENCES:
            break
    return chosen

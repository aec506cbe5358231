"""Load a BEIR data set: corpus.jsonl, queries.jsonl and a qrels TSV.

corpus.jsonl: `{"_id", "title", "text", "metadata"}` per line (read by agentkit's loader);
every `_id` once (a repeated id would merge two documents and credit both).
queries.jsonl: `{"_id", "text", "metadata": {"split": ...}}` per line, `text` not empty.
qrels: tab-separated, header `query-id corpus-id score`, one judgement per line
(score > 0 is relevant; larger is more relevant).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from agentkit.errors import AgentkitError, Problem, read_text
from agentkit.jsonl import JSON_LINES_FIX, json_lines
from agentkit.rag.loaders import SourceDocument, load_file

QRELS_HEADER = ("query-id", "corpus-id", "score")
Qrels = dict[str, dict[str, int]]  # query id -> corpus id -> graded relevance


class RetrievalDataError(AgentkitError):
    """BEIR data is missing or malformed: the message names the file, line and fix."""

    def __init__(self, message: str, *, file: Path | None = None, line: int | None = None,
                 hint: str | None = None) -> None:
        super().__init__(str(Problem(message, file=str(file) if file else None, line=line,
                                     hint=hint)))


@dataclass(frozen=True)
class Query:
    """One query of queries.jsonl."""

    id: str
    text: str
    split: str | None = None


@dataclass(frozen=True)
class BeirData:
    """What an eval run needs: the queries to score (each with at least one relevant
    document) and their judgements."""

    queries: list[Query]
    qrels: Qrels
    corpus_ids: set[str]
    skipped_queries: int  # in the queries file (and split) but without a relevant document


def load_beir(
    corpus: Path, queries: Path, qrels: Path, *, split: str | None = None,
    limit: int | None = None,
) -> BeirData:
    """The queries of `split` (all when None) that have a relevant document in `qrels`,
    in file order, at most `limit` of them."""
    corpus_ids = {doc.doc_id for doc in load_corpus(corpus)}
    judged = load_qrels(qrels)
    chosen = load_queries(queries, split)
    scored = [q for q in chosen if any(rel > 0 for rel in judged.get(q.id, {}).values())]
    if not scored:
        where = f" of split {split!r}" if split else ""
        raise RetrievalDataError(
            f"no query{where} in {queries} has a relevant document in {qrels}",
            hint="check that the qrels file belongs to these queries (and --split)",
        )
    kept = scored[:limit] if limit else scored
    return BeirData(
        queries=kept,
        qrels={q.id: judged[q.id] for q in kept},
        corpus_ids=corpus_ids,
        skipped_queries=len(chosen) - len(scored),
    )


def load_corpus(path: Path) -> list[SourceDocument]:
    """The corpus documents (agentkit's BEIR loader; its errors name file and line)."""
    _check_file(path, "corpus", ".jsonl")
    documents = load_file(path)
    if not documents:
        raise RetrievalDataError(f"the corpus {path} has no documents",
                                 hint='write one {"_id", "title", "text"} object per line')
    if len({doc.doc_id for doc in documents}) < len(documents):
        _raise_repeated_id(path)
    return documents


def _raise_repeated_id(path: Path) -> None:
    """Name the first corpus `_id` that repeats, with both lines."""
    seen: dict[str, int] = {}
    for line, row in _json_lines(path):
        doc_id = str(row.get("_id"))
        if doc_id in seen:
            raise RetrievalDataError(
                f"document id {doc_id!r} repeats line {seen[doc_id]}", file=path, line=line,
                hint="give every document its own `_id` (documents sharing one would both be "
                "credited for its judgements)",
            )
        seen[doc_id] = line


def load_queries(path: Path, split: str | None = None) -> list[Query]:
    """The queries in file order; with `split`, only those whose metadata.split is it."""
    _check_file(path, "queries", ".jsonl")
    queries: list[Query] = []
    seen: dict[str, int] = {}
    for line, row in _json_lines(path):
        query_id, text = row.get("_id"), row.get("text")
        if not isinstance(query_id, (str, int)) or isinstance(query_id, bool) or not isinstance(text, str):
            raise RetrievalDataError(
                "a query needs a string `_id` and a string `text`", file=path, line=line,
                hint='write {"_id": "1", "text": "...", "metadata": {"split": "test"}}',
            )
        if str(query_id) in seen:
            raise RetrievalDataError(
                f"query id {str(query_id)!r} repeats line {seen[str(query_id)]}", file=path,
                line=line, hint="give every query its own `_id`",
            )
        if not text.strip():
            raise RetrievalDataError(
                f"query {str(query_id)!r} has an empty `text`", file=path, line=line,
                hint="write the query's text, or remove the line",
            )
        seen[str(query_id)] = line
        metadata = row.get("metadata")
        query_split = metadata.get("split") if isinstance(metadata, dict) else None
        queries.append(Query(str(query_id), text, None if query_split is None else str(query_split)))
    if split is not None:
        found = sorted({q.split for q in queries if q.split is not None})
        queries = [q for q in queries if q.split == split]
        if not queries:
            raise RetrievalDataError(
                f"no query in {path} has metadata.split {split!r}",
                hint=f"splits in the file: {', '.join(found)}" if found
                else "the queries carry no metadata.split; leave --split out",
            )
    return queries


def load_qrels(path: Path) -> Qrels:
    """Graded judgements: query id -> corpus id -> score (a repeated pair keeps the last)."""
    _check_file(path, "qrels", None)
    qrels: Qrels = {}
    header = True
    for line, fields in _tsv_lines(path):
        if header:
            header = False
            if tuple(f.lower() for f in fields) != QRELS_HEADER:
                raise RetrievalDataError(
                    f"expected the header `query-id corpus-id score`, got {' '.join(fields)!r}",
                    file=path, line=line,
                    hint="a BEIR qrels file starts with the tab-separated header "
                    "query-id, corpus-id, score",
                )
            continue
        if len(fields) != 3:
            raise RetrievalDataError(
                f"expected 3 tab-separated fields (query-id, corpus-id, score), got {len(fields)}",
                file=path, line=line, hint="write `<query-id>\\t<corpus-id>\\t<score>`",
            )
        query_id, corpus_id, score = fields
        try:
            relevance = int(score)
        except ValueError:
            raise RetrievalDataError(
                f"the score {score!r} is not an integer", file=path, line=line,
                hint="scores are graded relevance: 0 (not relevant), 1, 2, ...",
            ) from None
        qrels.setdefault(query_id, {})[corpus_id] = relevance
    if not qrels:
        raise RetrievalDataError(f"the qrels file {path} has no judgements",
                                 hint="add lines `<query-id>\\t<corpus-id>\\t<score>`")
    return qrels


def _check_file(path: Path, what: str, suffix: str | None) -> None:
    if not path.is_file():
        raise RetrievalDataError(f"{what} file {path} does not exist",
                                 hint=f"pass the BEIR {what} file")
    if suffix and path.suffix.lower() != suffix:
        raise RetrievalDataError(f"the {what} file {path} is not a {suffix} file",
                                 hint=f"pass BEIR's {what}{suffix}")


def _json_lines(path: Path) -> Iterator[tuple[int, dict]]:
    return json_lines(path, "BEIR file", JSON_LINES_FIX, error=RetrievalDataError, objects=True)


def _tsv_lines(path: Path) -> Iterator[tuple[int, list[str]]]:
    text = read_text(path, "BEIR file", "give a UTF-8 tab-separated file", error=RetrievalDataError)
    for number, raw in enumerate(text.splitlines(), 1):
        if not raw.strip():
            continue
        fields = raw.split("\t") if "\t" in raw else raw.split()
        yield number, [field.strip() for field in fields]

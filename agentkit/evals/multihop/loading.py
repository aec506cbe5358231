"""Load a multi-hop QA set: a folder with documents.jsonl and questions.jsonl.

documents.jsonl: `{"_id", "title", "text"}` per line, every `_id` once; all documents
together are the corpus (an open setting, as in the HippoRAG papers).
questions.jsonl: `{"id", "question", "answers": [...], "supporting_doc_ids": [...]}` per
line (other keys are kept out of the way); every supporting id names a document.
This is the layout of `../shared/data/multihop_qa/<subset>/`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agentkit.jsonl import JSON_LINES_FIX, LineError, json_lines

DOCUMENTS = "documents.jsonl"
QUESTIONS = "questions.jsonl"
LAYOUT = (f"a multi-hop folder holds {DOCUMENTS} ({{\"_id\", \"title\", \"text\"}} per line) and "
          f"{QUESTIONS} ({{\"id\", \"question\", \"answers\", \"supporting_doc_ids\"}} per line)")


class MultihopDataError(LineError):
    """Multi-hop data is missing or malformed: the message names the file, line and fix."""


@dataclass(frozen=True)
class Question:
    """One question with its reference answers and the documents that support it."""

    id: str
    text: str
    answers: tuple[str, ...]
    supporting: tuple[str, ...]


@dataclass(frozen=True)
class MultihopData:
    """What a run needs: the corpus file, its titles, and the questions to ask."""

    documents: Path
    titles: dict[str, str]  # document id -> title, in file order
    questions: list[Question]


def load_multihop(folder: Path, *, documents: str = DOCUMENTS, questions: str = QUESTIONS,
                  limit: int | None = None) -> MultihopData:
    """The corpus and the first `limit` questions (all when None) of `folder`."""
    if not folder.is_dir():
        raise MultihopDataError(f"data folder {folder} does not exist" if not folder.exists()
                                else f"data {folder} is not a folder", hint=f"pass --data DIR; {LAYOUT}")
    corpus, asked = folder / documents, folder / questions
    for path in (corpus, asked):
        if not path.is_file():
            raise MultihopDataError(f"{path} does not exist", hint=LAYOUT)
    titles = load_documents(corpus)
    chosen = load_questions(asked, titles)
    return MultihopData(documents=corpus, titles=titles, questions=chosen[:limit] if limit else chosen)


def load_documents(path: Path) -> dict[str, str]:
    """Document id -> title; every line needs a string `_id` (once) and a non-empty `text`."""
    titles: dict[str, str] = {}
    lines: dict[str, int] = {}
    for line, row in _rows(path):
        doc_id, text, title = row.get("_id"), row.get("text"), row.get("title", "")
        if not _is_id(doc_id) or not isinstance(text, str) or not isinstance(title, str):
            raise MultihopDataError(
                "a document needs a string `_id`, a string `text` and (optionally) a string `title`",
                file=path, line=line, hint='write {"_id": "d1", "title": "...", "text": "..."}')
        if str(doc_id) in lines:
            raise MultihopDataError(
                f"document id {str(doc_id)!r} repeats line {lines[str(doc_id)]}", file=path, line=line,
                hint="give every document its own `_id` (documents sharing one would both be credited)")
        if not text.strip():
            raise MultihopDataError(f"document {str(doc_id)!r} has an empty `text`", file=path,
                                    line=line, hint="write the document's text, or remove the line")
        lines[str(doc_id)] = line
        titles[str(doc_id)] = title
    if not titles:
        raise MultihopDataError(f"{path} has no documents", hint=LAYOUT)
    return titles


def load_questions(path: Path, titles: dict[str, str]) -> list[Question]:
    """The questions in file order; each supporting document must be in `titles`."""
    questions: list[Question] = []
    lines: dict[str, int] = {}
    for line, row in _rows(path):
        question_id, text = row.get("id"), row.get("question")
        answers, supporting = row.get("answers"), row.get("supporting_doc_ids")
        if not _is_id(question_id) or not isinstance(text, str):
            raise MultihopDataError("a question needs a string `id` and a string `question`",
                                    file=path, line=line, hint=_QUESTION_EXAMPLE)
        name = str(question_id)
        if name in lines:
            raise MultihopDataError(f"question id {name!r} repeats line {lines[name]}", file=path,
                                    line=line, hint="give every question its own `id`")
        if not text.strip():
            raise MultihopDataError(f"question {name!r} has an empty `question`", file=path,
                                    line=line, hint="write the question's text, or remove the line")
        if not _strings(answers):
            raise MultihopDataError(f"question {name!r}: `answers` must be a non-empty list of strings",
                                    file=path, line=line, hint=_QUESTION_EXAMPLE)
        if not _strings(supporting):
            raise MultihopDataError(
                f"question {name!r}: `supporting_doc_ids` must be a non-empty list of document ids",
                file=path, line=line, hint=_QUESTION_EXAMPLE)
        unknown = [doc for doc in supporting if doc not in titles]
        if unknown:
            raise MultihopDataError(
                f"question {name!r}: supporting document {unknown[0]!r} is not in {DOCUMENTS}",
                file=path, line=line, hint=f"add the document to {DOCUMENTS} or fix the id")
        lines[name] = line
        questions.append(Question(name, text.strip(), tuple(answers), tuple(dict.fromkeys(supporting))))
    if not questions:
        raise MultihopDataError(f"{path} has no questions", hint=LAYOUT)
    return questions


_QUESTION_EXAMPLE = ('write {"id": "q1", "question": "...", "answers": ["..."], '
                     '"supporting_doc_ids": ["d1", "d2"]}')


def _rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    return json_lines(path, "multi-hop data", JSON_LINES_FIX, error=MultihopDataError, objects=True)


def _is_id(value: object) -> bool:
    return isinstance(value, (str, int)) and not isinstance(value, bool) and str(value).strip() != ""


def _strings(value: object) -> bool:
    return (isinstance(value, list) and bool(value)
            and all(isinstance(item, str) and item.strip() for item in value))

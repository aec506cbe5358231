"""Reading source files into documents: .txt, .md, .html/.htm, .pdf and BEIR .jsonl."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from agentkit.errors import AgentkitError
from agentkit.jsonl import loads_json
from agentkit.rag.chunks import MetadataValue


class LoadError(AgentkitError):
    """A file could not be read as a document; says which file, where, and why."""


@dataclass(frozen=True)
class SourceDocument:
    """One document of a file (a file holds one, a BEIR .jsonl many)."""

    doc_id: str
    text: str
    source: str
    title: str = ""
    metadata: dict[str, MetadataValue] = field(default_factory=dict)


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise LoadError(f"{path}: not UTF-8 text (byte {exc.start}); convert it to UTF-8") from exc


def load_text(path: Path, name: str) -> Iterator[SourceDocument]:
    """A plain-text or Markdown file: one document; a Markdown `# heading` becomes the title."""
    text = _read_text(path)
    first = next((line for line in text.splitlines() if line.strip()), "")
    title = first.lstrip("#").strip() if path.suffix.lower() == ".md" and first.startswith("#") else ""
    yield SourceDocument(doc_id=name, text=text, source=name, title=title)


def load_html(path: Path, name: str) -> Iterator[SourceDocument]:
    """An HTML page: its visible text (scripts, styles and navigation dropped) and <title>."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(_read_text(path), "html.parser")
    for tag in soup(["script", "style", "noscript", "nav", "header", "footer"]):
        tag.decompose()
    title = soup.title.get_text(strip=True) if soup.title else ""
    if soup.title:
        soup.title.decompose()
    text = "\n".join(line.strip() for line in soup.get_text("\n").splitlines() if line.strip())
    yield SourceDocument(doc_id=name, text=text, source=name, title=title)


def load_pdf(path: Path, name: str) -> Iterator[SourceDocument]:
    """A PDF: the text of every page (one document, pages joined; page count in metadata)."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # its warnings repeat what LoadError says
    try:
        reader = PdfReader(path)
        pages = [page.extract_text() or "" for page in reader.pages]
        title = str((reader.metadata or {}).get("/Title") or "")
    except (PyPdfError, ValueError, KeyError, OSError) as exc:
        raise LoadError(f"{path}: not a readable PDF ({exc}); re-export it or remove it") from exc
    text = "\n\n".join(p.strip() for p in pages if p.strip())
    if not text:
        raise LoadError(f"{path}: the PDF has no extractable text (scanned?); OCR it first")
    yield SourceDocument(doc_id=name, text=text, source=name, title=title,
                         metadata={"pages": len(pages)})


def load_beir_jsonl(path: Path, name: str) -> Iterator[SourceDocument]:
    """A BEIR corpus: one JSON object per line with `_id`, `title` and `text`."""
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                record = loads_json(line)
                doc_id, text = str(record["_id"]), str(record["text"])
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise LoadError(
                    f"{path}:{number}: not a BEIR corpus line ({exc}); each line must be a JSON "
                    'object like {"_id": "1", "title": "...", "text": "..."}'
                ) from exc
            meta = {k: v for k, v in (record.get("metadata") or {}).items()
                    if isinstance(v, (str, int, float, bool))}
            yield SourceDocument(doc_id=doc_id, text=text, source=name,
                                 title=str(record.get("title") or ""), metadata=meta)


LOADERS: dict[str, Callable[[Path, str], Iterator[SourceDocument]]] = {
    ".txt": load_text, ".md": load_text, ".markdown": load_text,
    ".html": load_html, ".htm": load_html, ".pdf": load_pdf, ".jsonl": load_beir_jsonl,
}


def load_file(path: Path, name: str | None = None) -> list[SourceDocument]:
    """Every document in `path`, with `name` (default: the path) as source and file doc id;
    raises LoadError naming the file when it cannot be read."""
    loader = LOADERS.get(path.suffix.lower())
    if loader is None:
        raise LoadError(f"{path}: no loader for {path.suffix or 'files without a suffix'} "
                        f"(supported: {', '.join(sorted(LOADERS))})")
    try:
        return list(loader(path, name or str(path)))
    except OSError as exc:
        raise LoadError(f"{path}: cannot read ({exc.strerror or exc})") from exc


def find_files(paths: list[Path]) -> tuple[list[Path], list[Path]]:
    """Files to index under `paths` (folders searched recursively, hidden ones skipped),
    and the given paths that do not exist."""
    found: list[Path] = []
    missing: list[Path] = []
    for path in paths:
        if path.is_file():
            found.append(path)
        elif path.is_dir():
            found += sorted(
                p for p in path.rglob("*")
                if p.is_file() and p.suffix.lower() in LOADERS
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
        else:
            missing.append(path)
    return found, missing

"""LangChain document loaders as a source to index: any `BaseLoader` (langchain-core's
interface; the loaders of langchain-community, an optional extra, are one source of them).

`agentkit index --loader MODULE:CLASS --loader-arg KEY=VALUE ...` builds one from the
command line; `DocumentIndex.index_documents(loader)` takes one (or its documents) in Python.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any, Iterable, Sequence

from langchain_core.document_loaders import BaseLoader
from langchain_core.documents import Document

from agentkit.errors import ConfigError
from agentkit.jsonl import loads_json
from agentkit.rag.chunks import MetadataValue
from agentkit.rag.indexing import source_name
from agentkit.rag.loaders import SourceDocument


def loader_from_spec(spec: str, args: Sequence[str] = ()) -> BaseLoader:
    """`MODULE:CLASS` (or `MODULE.CLASS`) called with `KEY=VALUE` keywords (a value is read as
    JSON when it parses, e.g. `true`, `3`, `{"delimiter": ";"}`, else taken as text)."""
    module_name, _, class_name = spec.rpartition(":") if ":" in spec else spec.rpartition(".")
    if not module_name or not class_name:
        raise ConfigError(f"--loader {spec!r}: write MODULE:CLASS, e.g. "
                          "langchain_community.document_loaders:CSVLoader")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigError(f"--loader {spec!r}: cannot import {module_name} ({exc}); install the package that "
                          "provides it (community loaders: pip install 'agentkit[langchain-community]')") from None
    loader_class = getattr(module, class_name, None)
    if not (isinstance(loader_class, type) and issubclass(loader_class, BaseLoader)):
        raise ConfigError(f"--loader {spec!r}: {module_name}.{class_name} is not a LangChain BaseLoader class")
    keywords = loader_args(args)
    try:
        return loader_class(**keywords)
    except Exception as exc:  # noqa: BLE001 - any constructor error is the user's arguments
        raise ConfigError(f"--loader {spec!r} could not be created with {sorted(keywords)} "
                          f"({type(exc).__name__}: {exc}); check its --loader-arg KEY=VALUE options") from None


def loader_args(args: Sequence[str]) -> dict[str, Any]:
    """`KEY=VALUE` strings as keywords (JSON values where they parse)."""
    keywords: dict[str, Any] = {}
    for arg in args:
        key, equals, value = arg.partition("=")
        if not equals or not key.strip().isidentifier():
            raise ConfigError(f"--loader-arg {arg!r}: write KEY=VALUE, e.g. file_path=data.csv")
        try:
            keywords[key.strip()] = loads_json(value)
        except ValueError:
            keywords[key.strip()] = value
    return keywords


def load_documents(loader: BaseLoader, name: str | None = None) -> list[Document]:
    """Everything `loader` yields; a failure is a ConfigError naming the loader."""
    try:
        return list(loader.lazy_load())
    except Exception as exc:  # noqa: BLE001 - a loader may raise anything on bad input
        what = f"--loader {name!r}" if name else f"loader {type(loader).__name__}"
        raise ConfigError(f"{what} failed to load ({type(exc).__name__}: {exc}); "
                          "check the file or arguments it was given") from None


def documents_by_source(
    documents: Iterable[Document], workspace: Path, default_source: str = "loader"
) -> dict[str, list[SourceDocument]]:
    """LangChain documents grouped by `metadata["source"]` (a file named as `agentkit index`
    names files: relative to the workspace). A document's id is its own `id`, else the
    source (one document) or `SOURCE#N` (the Nth of several, e.g. CSV rows); scalar
    metadata is kept, `title` becomes the title."""
    grouped: dict[str, list[Document]] = {}
    for document in documents:
        raw = str(document.metadata.get("source") or default_source)
        source = source_name(Path(raw), workspace) if Path(raw).is_file() else raw
        grouped.setdefault(source, []).append(document)
    return {
        source: [_source_document(d, source, d.id or (source if len(group) == 1 else f"{source}#{n}"))
                 for n, d in enumerate(group)]
        for source, group in grouped.items()
    }


def _source_document(document: Document, source: str, doc_id: str) -> SourceDocument:
    metadata: dict[str, MetadataValue] = {
        key: value for key, value in document.metadata.items()
        if isinstance(value, (str, int, float, bool)) and key not in ("source", "title")
    }
    return SourceDocument(doc_id=doc_id, text=document.page_content, source=source,
                          title=str(document.metadata.get("title") or ""), metadata=metadata)


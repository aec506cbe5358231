"""Incremental indexing: files → documents → chunks → vectors → store.

Chunk ids are content hashes, so a re-run diffs each file's new chunk ids against the
ids the store holds for it: unchanged files cost no embedding, changed chunks are
replaced, chunks of removed files are deleted. Vectors are written batch by batch in
transactions, so an interrupted run resumes where it stopped and ends in the same index.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping, Sequence

import numpy as np
from langchain_core.embeddings import Embeddings

from agentkit.rag.chunking import Chunker
from agentkit.rag.chunks import Chunk
from agentkit.rag.loaders import LoadError, SourceDocument, find_files, load_file
from agentkit.rag.stores.base import ChunkStore

EMBED_BATCH = 512  # default chunks per embedding call and per store transaction
Progress = Callable[[int], None]


@dataclass
class IndexReport:
    """What an indexing run did."""

    files: int = 0
    unchanged_files: int = 0
    chunks_added: int = 0
    chunks_deleted: int = 0
    chunks_total: int = 0
    seconds: float = 0.0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, why)

    def summary(self) -> str:
        """Human-readable lines for the CLI."""
        lines = [
            f"{self.files} files ({self.unchanged_files} unchanged), {self.chunks_added} chunks "
            f"added, {self.chunks_deleted} deleted, {self.chunks_total} in the store, "
            f"{self.seconds:.1f} s",
        ]
        lines += [f"skipped {path}: {why}" for path, why in self.skipped]
        return "\n".join(lines)


@dataclass
class IndexPlan:
    """The diff between the files on disk and the store."""

    add: list[Chunk] = field(default_factory=list)
    delete: set[str] = field(default_factory=set)
    files: int = 0
    unchanged_files: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)


def source_name(path: Path, workspace: Path) -> str:
    """How a file is named in the store: relative to the workspace when inside it."""
    resolved = path.resolve()
    try:
        return resolved.relative_to(workspace.resolve()).as_posix()
    except ValueError:
        return resolved.as_posix()


def plan_index(
    paths: Sequence[Path], store: ChunkStore, chunker: Chunker, workspace: Path
) -> IndexPlan:
    """Read and chunk every file under `paths`, and diff against the store."""
    plan = IndexPlan()
    files, missing = find_files(list(paths))
    plan.skipped += [(str(p), "does not exist") for p in missing]
    stored = store.ids_by_source()
    seen: set[str] = set()
    for file in files:
        source = source_name(file, workspace)
        seen.add(source)
        try:
            documents = load_file(file, source)
        except LoadError as exc:
            plan.skipped.append((source, str(exc).removeprefix(f"{file}: ")))
            continue
        _plan_source(plan, source, documents, stored, chunker)
    roots = [source_name(p, workspace) for p in paths if p.is_dir()]
    for source, ids in stored.items():
        if source not in seen and any(_under(source, root) for root in roots):
            plan.delete |= ids
    plan.add = list({c.id: c for c in plan.add}.values())
    return plan


def plan_sources(sources: Mapping[str, list[SourceDocument]], store: ChunkStore, chunker: Chunker) -> IndexPlan:
    """Chunk already loaded documents (by source) and diff them against the store; sources
    not given are left as they are."""
    plan = IndexPlan()
    stored = store.ids_by_source()
    for source, documents in sources.items():
        _plan_source(plan, source, documents, stored, chunker)
    plan.add = list({c.id: c for c in plan.add}.values())
    return plan


def _plan_source(
    plan: IndexPlan, source: str, documents: list[SourceDocument], stored: dict[str, set[str]], chunker: Chunker
) -> None:
    """Add one source's new chunks and stale ids to `plan`. A source without text is skipped,
    or, when it had chunks, emptied: they go, since it no longer says what they said."""
    old_ids = stored.get(source, set())
    if not any(d.text.strip() for d in documents) and old_ids:
        plan.files += 1
        plan.delete |= old_ids
        return
    if not any(d.text.strip() for d in documents):
        plan.skipped.append((source, "no text in it (empty, or only markup and scripts); "
                                     "add text or leave it out"))
        return
    chunks = [c for per_doc in chunker.split_many(documents) for c in per_doc]
    new_ids = {c.id for c in chunks}
    plan.files += 1
    plan.unchanged_files += new_ids == old_ids
    plan.add += [c for c in chunks if c.id not in old_ids]
    plan.delete |= old_ids - new_ids


def _under(source: str, root: str) -> bool:
    return root in ("", ".") or source == root or source.startswith(root.rstrip("/") + "/")


def apply_plan(
    plan: IndexPlan, store: ChunkStore, embeddings: Embeddings, progress: Progress | None = None,
    batch_size: int = EMBED_BATCH,
) -> IndexReport:
    """Embed and write the new chunks in batches, then delete the stale ones."""
    started = time.perf_counter()
    for start in range(0, len(plan.add), batch_size):
        batch = plan.add[start:start + batch_size]
        vectors = np.asarray(embeddings.embed_documents([c.content for c in batch]), dtype=np.float32)
        store.upsert(batch, vectors)
        if progress:
            progress(len(batch))
    store.delete(sorted(plan.delete))
    return IndexReport(
        files=plan.files, unchanged_files=plan.unchanged_files, chunks_added=len(plan.add),
        chunks_deleted=len(plan.delete), chunks_total=store.count(),
        seconds=time.perf_counter() - started, skipped=plan.skipped,
    )

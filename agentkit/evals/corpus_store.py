"""An eval's corpus (a BEIR-style .jsonl) in an embedded store: the store is named after
the corpus path and chunking, so re-runs find it and only embed what changed."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

from agentkit.errors import ConfigError
from agentkit.evals.kinds import Progress as EvalProgress
from agentkit.rag.chunking import ChunkingConfig
from agentkit.rag.config import StoreConfig
from agentkit.rag.document_index import DocumentIndex
from agentkit.rag.indexing import IndexPlan, IndexReport, Progress
from agentkit.rag.options import store_options


def default_store_name(corpus: Path, chunking: ChunkingConfig, prefix: str = "beir") -> str:
    """A store per corpus path and chunking, so re-runs find (and update) their store."""
    digest = hashlib.sha256(str(corpus.resolve()).encode()).hexdigest()[:12]
    return f"{prefix}-{digest}-c{chunking.chunk_size}-o{chunking.chunk_overlap}"


def store_config(name: str) -> StoreConfig:
    """An embedded store named `name` (a bad name is a ConfigError, checked by rag.options)."""
    return store_options(name)


def index_corpus(
    index: DocumentIndex, corpus: Path, workspace: Path, chunking: ChunkingConfig, *,
    progress: Progress | None = None, on_plan: Callable[[IndexPlan], None] | None = None,
) -> IndexReport:
    """Bring the store in line with the corpus file (unchanged chunks are not re-embedded)."""
    report = index.index([corpus], workspace, chunking, progress=progress, on_plan=on_plan)
    if report.skipped:
        path, why = report.skipped[0]
        raise ConfigError(f"could not index {path}: {why}")
    return report


def index_with_progress(
    index: DocumentIndex, corpus: Path, workspace: Path, chunking: ChunkingConfig,
    progress: EvalProgress, store: str,
) -> IndexReport:
    """`index_corpus` with an eval's progress: a chunking phase, an embedding bar, and
    the index summary as a log line."""
    progress.start("reading and chunking the corpus", None)

    def on_plan(plan: IndexPlan) -> None:
        progress.start("embedding chunks", len(plan.add))

    report = index_corpus(index, corpus, workspace, chunking, on_plan=on_plan,
                          progress=lambda n: progress.advance("embedding chunks", n))
    progress.log(f"store {store!r}: {report.summary()}")
    return report

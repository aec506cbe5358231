"""Knowledge-graph build time over ~5,000 Wikipedia passages: a full lexical build, then an
incremental build after one document changes, beside the issue's targets (60 s, 2 s).

The passages (the multi-hop corpora split into ~60-word passages, as bench/graphrag_extract.py
does) are embedded once into a store in `--workspace` (shared with bench/graphrag_search.py);
each run builds the graph afresh into a copy of that store, so the first build is a full one.

    OMP_NUM_THREADS=1 .venv/bin/python bench/graphrag_build.py [DATA_DIR] [--workspace DIR]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from graphrag_extract import DEFAULT_DATA  # noqa: E402
from graphrag_search import STORE, fill_store  # noqa: E402

from agentkit.graphrag.build import BuildReport  # noqa: E402
from agentkit.graphrag.lexical import LexicalExtractor  # noqa: E402
from agentkit.graphrag.workspace import update_store_graph  # noqa: E402
from agentkit.rag.chunks import Chunk, chunk_id  # noqa: E402
from agentkit.rag.open import open_index  # noqa: E402


def change_one_document(workspace: Path) -> str:
    """Rewrite the first passage of one document (a new chunk id replaces the old one)."""
    index = open_index(STORE, workspace)
    try:
        old = index.store.get([sorted(set().union(*index.store.ids_by_source().values()))[0]])[0]
        text = old.text + " It was later renamed Harwick Cross by the Corran Trust."
        new = Chunk(id=chunk_id(old.doc_id, text), text=text, doc_id=old.doc_id, source=old.source, title=old.title)
        index.store.upsert([new], index.embeddings.embed_documents([new.content]))
        index.store.delete([old.id])
        return old.doc_id
    finally:
        index.store.close()


def line(label: str, report: BuildReport, target: float) -> str:
    phases = ", ".join(f"{name} {seconds:.2f}" for name, seconds in report.timings.items())
    return (f"{label:<24} {report.seconds:7.2f} s  (target <= {target:.0f} s)  extracted {report.extracted}, "
            f"removed {report.deleted}; derive: {phases}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", nargs="?", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--workspace", type=Path, default=Path("/tmp/agentkit-bench-graphrag"))
    parser.add_argument("--words", type=int, default=60)
    args = parser.parse_args()
    torch.set_num_threads(1)
    source = args.workspace.resolve()
    (source / ".agentkit").mkdir(parents=True, exist_ok=True)
    print(f"passages in store: {fill_store(args.data, source, args.words)}")
    with tempfile.TemporaryDirectory() as scratch:
        workspace = Path(scratch)
        shutil.copytree(STORE.folder(source), STORE.folder(workspace))
        full = update_store_graph(STORE, workspace, LexicalExtractor())
        print(full.summary().splitlines()[-1])
        print(line("full build", full, 60))
        doc = change_one_document(workspace)
        incremental = update_store_graph(STORE, workspace, LexicalExtractor())
        print(line(f"after changing {doc}", incremental, 2))
        unchanged = update_store_graph(STORE, workspace, LexicalExtractor())
        print(line("unchanged store", unchanged, 2))


if __name__ == "__main__":
    main()

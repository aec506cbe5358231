"""Lexical entity extraction speed and yield over the multi-hop QA corpora, on one thread.

Reads every `documents.jsonl` (`_id`, `title`, `text`) under the data folder (the union of
the subsets, de-duplicated by `_id`), splits each document into passages of about
`--words` words at sentence ends (the title kept on every passage, as a store's chunks
keep it), and times `LexicalExtractor.extract` over all passages in this process. Prints
passages, seconds, passages/s, entities and relations per passage, and the share of
passages with no entity (goal: <= 60 s for ~5,000 passages).

    .venv/bin/python bench/graphrag_extract.py [DATA_DIR] [--words 60]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

from agentkit.graphrag.lexical import LexicalExtractor
from agentkit.rag.chunks import Chunk, chunk_id
from agentkit.rag.text import sentences

DEFAULT_DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "multihop_qa"


def documents(folder: Path) -> list[dict[str, str]]:
    """Every document of every subset under `folder`, first occurrence of each `_id`."""
    files = sorted(folder.glob("*/documents.jsonl")) or sorted(folder.glob("documents.jsonl"))
    if not files:
        raise SystemExit(f"error: no documents.jsonl under {folder}; pass the multihop_qa folder")
    seen: dict[str, dict[str, str]] = {}
    for path in files:
        with path.open(encoding="utf-8") as lines:
            for line in lines:
                if line.strip():
                    record = json.loads(line)
                    seen.setdefault(str(record["_id"]), record)
    return list(seen.values())


def passages(docs: list[dict[str, str]], words: int) -> list[Chunk]:
    """Each document's sentences packed into passages of about `words` words."""
    chunks: list[Chunk] = []
    for doc in docs:
        packed: list[str] = []
        for sentence in sentences(doc["text"]) or [doc["text"]]:
            if packed and sum(len(s.split()) for s in packed) + len(sentence.split()) > words:
                chunks.append(_chunk(doc, " ".join(packed)))
                packed = []
            packed.append(sentence)
        if packed:
            chunks.append(_chunk(doc, " ".join(packed)))
    return chunks


def _chunk(doc: dict[str, str], text: str) -> Chunk:
    return Chunk(id=chunk_id(doc["_id"], text), text=text, doc_id=doc["_id"], source="documents.jsonl",
                 title=doc.get("title", ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="?", type=Path, default=DEFAULT_DATA,
                        help="folder of subsets with documents.jsonl (default ../shared/data/multihop_qa)")
    parser.add_argument("--words", type=int, default=60, help="about this many words per passage (default 60)")
    args = parser.parse_args()
    chunks = passages(documents(args.data.resolve()), args.words)
    extractor = LexicalExtractor()
    started = time.perf_counter()
    extractions = extractor.extract(chunks)
    seconds = time.perf_counter() - started
    n = len(extractions)
    entities = sum(len(e.entities) for e in extractions)
    relations = sum(len(e.relations) for e in extractions)
    empty = sum(1 for e in extractions if not e.entities)
    untitled_empty = sum(1 for e in extractions if not [m for m in e.entities if not m.title])
    print(f"extractor          lexical v{extractor.version} (one thread, pid {os.getpid()})")
    print(f"passages           {n} (~{args.words}-word passages of {len({c.doc_id for c in chunks})} documents)")
    print(f"seconds            {seconds:.2f}")
    print(f"passages/s         {n / seconds:.0f}")
    print(f"entities/chunk     {entities / n:.2f}")
    print(f"relations/chunk    {relations / n:.2f}")
    print(f"zero entities      {empty / n:.1%}")
    print(f"only the title     {untitled_empty / n:.1%}")
    print(f"load average       {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()

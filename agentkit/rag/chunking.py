"""Token-aware chunking: sentences and lines packed up to a size in the embedder's tokens."""

from __future__ import annotations

from bisect import bisect_left
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field, model_validator

from agentkit.errors import ConfigError
from agentkit.rag.chunks import Chunk, chunk_id
from agentkit.rag.loaders import SourceDocument
from agentkit.rag.text import sentence_spans


class ChunkingConfig(BaseModel):
    """Chunk sizes in tokens of `tokenizer` (default: the embeddings model's tokenizer)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    chunk_size: int = Field(200, ge=16, description="most tokens per chunk")
    chunk_overlap: int = Field(30, ge=0, description="tokens shared by neighbouring chunks")
    tokenizer: str | None = Field(None, description="HF tokenizer folder or hub id")

    @model_validator(mode="after")
    def _overlap_below_size(self) -> "ChunkingConfig":
        if self.chunk_overlap >= self.chunk_size:
            raise ValueError(
                f"chunk_overlap ({self.chunk_overlap}) must be smaller than chunk_size ({self.chunk_size})"
            )
        return self


@lru_cache(maxsize=4)
def _tokenizer(name: str | None):  # noqa: ANN202 - a transformers tokenizer
    from transformers import AutoTokenizer

    from agentkit.models.embeddings import default_embeddings_path

    where = name or str(default_embeddings_path())
    try:
        return AutoTokenizer.from_pretrained(where)
    except OSError as exc:
        raise ConfigError(f"chunking tokenizer {where!r} could not be loaded ({exc}); "
                          "give a local tokenizer folder or leave tokenizer unset") from exc


class Chunker:
    """Packs sentences and lines into chunks of at most `chunk_size` tokens.

    Each batch of documents is tokenized once (a fast tokenizer, with offsets); units
    (paragraphs, lines, sentences) are packed greedily, a unit longer than a chunk is cut
    at token boundaries, and each chunk starts with the last units of the previous one
    up to `chunk_overlap` tokens. The title is embedded with every chunk, so its tokens
    count against `chunk_size`: a title longer than half of it is cut to that half."""

    def __init__(self, config: ChunkingConfig = ChunkingConfig()):
        self.config = config
        self._tokenizer = _tokenizer(config.tokenizer)

    def split(self, document: SourceDocument) -> list[Chunk]:
        """The document's chunks, in order, without repeats (equal text → one chunk)."""
        return self.split_many([document])[0]

    def split_many(self, documents: list[SourceDocument]) -> list[list[Chunk]]:
        """`split` for many documents, tokenized in one batch."""
        texts = self._tokenizer([d.text for d in documents], add_special_tokens=False,
                                return_offsets_mapping=True, verbose=False)["offset_mapping"]
        titles = self._tokenizer([d.title for d in documents], add_special_tokens=False,
                                 return_offsets_mapping=True, verbose=False)["offset_mapping"]
        return [self._chunks(*args) for args in zip(documents, texts, titles)]

    def _chunks(self, document: SourceDocument, offsets: list[tuple[int, int]],
                title_offsets: list[tuple[int, int]]) -> list[Chunk]:
        title_tokens = min(len(title_offsets), self.config.chunk_size // 2)
        title = document.title[:title_offsets[title_tokens - 1][1]] if title_tokens else ""
        chunks: dict[str, Chunk] = {}
        spans = self._spans(document.text, offsets, self.config.chunk_size - title_tokens)
        for position, (start, end) in enumerate(spans):
            text = document.text[start:end].strip()
            if not text:
                continue
            cid = chunk_id(document.doc_id, text)
            chunks.setdefault(cid, Chunk(
                id=cid, text=text, doc_id=document.doc_id, source=document.source,
                title=title, metadata={**document.metadata, "position": position},
            ))
        return list(chunks.values())

    def _spans(self, text: str, offsets: list[tuple[int, int]], size: int) -> list[tuple[int, int]]:
        """Character spans of the chunks, each at most `size` tokens."""
        overlap = self.config.chunk_overlap
        starts = [start for start, _ in offsets]
        word_start = [i == 0 or offsets[i][0] > offsets[i - 1][1] for i in range(len(offsets))]
        units: list[tuple[int, int, int]] = []  # (start char, end char, tokens)
        for start, end in sentence_spans(text, lines=True):
            first, last = bisect_left(starts, start), bisect_left(starts, end)
            position = first
            while position < last:  # a unit longer than a chunk is cut before a word
                cut = min(position + size, last)
                while position + 1 < cut < last and not word_start[cut]:
                    cut -= 1
                cut = cut if cut > position + 1 or cut == last else min(position + size, last)
                units.append((starts[position] if position > first else start,
                              starts[cut] if cut < last else end, cut - position))
                position = cut
            if first == last:
                units.append((start, end, 0))
        spans: list[tuple[int, int]] = []
        current: list[tuple[int, int, int]] = []
        for unit in units:
            if current and sum(u[2] for u in current) + unit[2] > size:
                spans.append((current[0][0], current[-1][1]))
                kept: list[tuple[int, int, int]] = []
                for previous in reversed(current):
                    if sum(u[2] for u in kept) + previous[2] > min(overlap, size - unit[2]):
                        break
                    kept.insert(0, previous)
                current = kept
            current.append(unit)
        if current:
            spans.append((current[0][0], current[-1][1]))
        return spans


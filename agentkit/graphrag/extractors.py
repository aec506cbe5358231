"""Choosing an extractor by name, and what an LLM extraction would cost before it runs."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from agentkit.graphrag.types import Extractor
from agentkit.rag.config import StoreConfig

ExtractorName = Literal["lexical", "llm"]


def current_version(name: str) -> str | None:
    """The version this agentkit's extractor `name` writes (None for an unknown name)."""
    if name == "lexical":
        from agentkit.graphrag.lexical import LexicalExtractor

        return LexicalExtractor.version
    if name == "llm":
        from agentkit.graphrag.llm_extract import LLMExtractor

        return LLMExtractor.version
    return None


def make_extractor(name: ExtractorName, llm: str | None = None, base_url: str | None = None,
                   workspace: Path | None = None) -> Extractor:
    """The lexical extractor, or the LLM extractor over the bundled model (`llm` None), a
    local/hub model, or a model served at `base_url`; its cache lives in the workspace."""
    if name == "lexical":
        from agentkit.graphrag.lexical import LexicalExtractor

        return LexicalExtractor()
    from agentkit.graphrag.llm_extract import llm_extractor

    return llm_extractor(llm, base_url, workspace)


def estimate_extraction(config: StoreConfig, workspace: Path, extractor: Extractor) -> str:
    """What building the store's graph with `extractor` would extract, and for an LLM the
    tokens and time it would take (nothing is extracted)."""
    from agentkit.graphrag.llm_extract import LLMExtractor
    from agentkit.graphrag.workspace import pending_chunks

    chunks = pending_chunks(config, workspace)
    if isinstance(extractor, LLMExtractor):
        return extractor.estimate(chunks).summary()
    return f"{len(chunks)} chunks to extract with the {extractor.name} extractor (no model, no tokens)"

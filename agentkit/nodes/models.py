"""Resource kinds for models: `chat_model` and `embeddings`.

The model packages are imported when a resource is built, not when kinds register,
so validating a graph does not load torch."""

from __future__ import annotations

from langchain_core.embeddings import Embeddings
from langchain_core.language_models import BaseChatModel

from agentkit.engine.registry import resource_kind
from agentkit.models.config import ChatModelConfig, EmbeddingsConfig


@resource_kind("chat_model")
def chat_model(params: ChatModelConfig) -> BaseChatModel:
    """A chat model: local transformers (SmolLM2-135M-Instruct by default) or OpenAI-compatible."""
    from agentkit.models import get_chat_model

    return get_chat_model(params)


@resource_kind("embeddings")
def embeddings(params: EmbeddingsConfig) -> Embeddings:
    """Text embeddings: local all-MiniLM-L6-v2 by default."""
    from agentkit.models import get_embeddings

    return get_embeddings(params)

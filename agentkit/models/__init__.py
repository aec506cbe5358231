"""Chat models and embeddings: local (offline, CPU) or OpenAI-compatible endpoints."""

from agentkit.models.config import ChatModelConfig, EmbeddingsConfig
from agentkit.models.factory import get_chat_model, get_embeddings
from agentkit.models.local_chat import LocalChatModel

__all__ = [
    "ChatModelConfig",
    "EmbeddingsConfig",
    "LocalChatModel",
    "get_chat_model",
    "get_embeddings",
]

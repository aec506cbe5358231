"""Build chat models and embeddings from config, once per process per config."""

from __future__ import annotations

import threading

from langchain_core.embeddings import Embeddings
from langchain_core.language_models import BaseChatModel

from agentkit.models.config import ChatModelConfig, EmbeddingsConfig
from agentkit.models.embeddings import local_embeddings
from agentkit.models.local_chat import LocalChatModel
from agentkit.models.openai_compat import openai_chat_model

_LOCK = threading.Lock()
_CHAT_MODELS: dict[str, BaseChatModel] = {}
_EMBEDDINGS: dict[str, Embeddings] = {}


def get_chat_model(config: ChatModelConfig) -> BaseChatModel:
    """The shared chat model for `config` (equal configs give the same object)."""
    key = config.model_dump_json()
    with _LOCK:
        if key not in _CHAT_MODELS:
            _CHAT_MODELS[key] = (
                LocalChatModel.from_config(config)
                if config.provider == "local"
                else openai_chat_model(config)
            )
        return _CHAT_MODELS[key]


def get_embeddings(config: EmbeddingsConfig) -> Embeddings:
    """The shared embeddings for `config` (equal configs give the same object)."""
    key = config.model_dump_json()
    with _LOCK:
        if key not in _EMBEDDINGS:
            _EMBEDDINGS[key] = local_embeddings(config)
        return _EMBEDDINGS[key]

"""Chat models and embeddings: local (offline, CPU) or OpenAI-compatible endpoints.

The config classes import instantly; the model code (torch, transformers) is imported on
first access to `get_chat_model`, `get_embeddings` or `LocalChatModel`, so validating
configs never loads torch.
"""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING, Any

from agentkit.models.config import ChatModelConfig, EmbeddingsConfig

# bitsandbytes (imported by peft and sentence-transformers when installed) warns at import
# that an optional CPU kernel package is absent; it works without it.
logging.getLogger("bitsandbytes").setLevel(logging.ERROR)

if TYPE_CHECKING:
    from agentkit.models.factory import get_chat_model, get_embeddings
    from agentkit.models.local_chat import LocalChatModel

__all__ = [
    "ChatModelConfig",
    "EmbeddingsConfig",
    "LocalChatModel",
    "get_chat_model",
    "get_embeddings",
]

_LAZY = {
    "get_chat_model": "agentkit.models.factory",
    "get_embeddings": "agentkit.models.factory",
    "LocalChatModel": "agentkit.models.local_chat",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

"""The models a server serves: the local chat model (`<base>`), each adapter shipped for it
as its own id (`<base>:<adapter>`, switched per request on the one loaded base), and the
local embedder."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from langchain_core.embeddings import Embeddings

from agentkit.models.adapter_meta import model_fingerprint, read_meta
from agentkit.models.adapters import shipped_adapters
from agentkit.models.config import EmbeddingsConfig
from agentkit.models.embeddings import DEFAULT_EMBEDDER_ID
from agentkit.models.factory import get_embeddings
from agentkit.models.local_chat import LocalChatModel
from agentkit.models.loading import resolve_source
from agentkit.models.naming import model_id
from agentkit.server.errors import not_found


@dataclass
class ServedModels:
    """Model ids and what answers each."""

    chat: LocalChatModel
    embeddings: Embeddings
    base_id: str
    embedder_id: str
    adapters: dict[str, str] = field(default_factory=dict)  # model id -> adapter name

    @classmethod
    def load(cls, model: str | None = None) -> ServedModels:
        """Load the chat model with every shipped adapter trained on it, and the embedder."""
        fingerprint = model_fingerprint(resolve_source(model))
        fitting = {name: name for name, folder in shipped_adapters().items()
                   if read_meta(folder).base_model_sha256 == fingerprint}
        chat = LocalChatModel(model=model, adapters=fitting)
        base = model_id(chat.tokens.name)
        return cls(chat=chat, embeddings=get_embeddings(EmbeddingsConfig()), base_id=base,
                   embedder_id=DEFAULT_EMBEDDER_ID, adapters={f"{base}:{name}": name for name in fitting})

    @property
    def chat_ids(self) -> list[str]:
        return [self.base_id, *self.adapters]

    def chat_model(self, name: str) -> LocalChatModel:
        """The chat model answering as `name` (404 listing the chat models otherwise)."""
        if name == self.base_id:
            return self.chat
        if name in self.adapters:
            return self.chat.with_adapter(self.adapters[name])
        raise not_found("model", name, self.chat_ids + ([self.embedder_id] if name == self.embedder_id else []))

    def embedder(self, name: str) -> Embeddings:
        if name != self.embedder_id:
            raise not_found("model", name, [self.embedder_id])
        return self.embeddings

    def listing(self, created: int) -> list[dict[str, Any]]:
        """`/v1/models` entries."""
        return [{"id": name, "object": "model", "created": created, "owned_by": "agentkit"}
                for name in [*self.chat_ids, self.embedder_id]]

    def describe(self) -> str:
        """One line for the start-up banner."""
        return f"{', '.join(self.chat_ids)} ({self.chat.backend.kind}); embeddings {self.embedder_id}"

"""Configuration of a document store resource (`kind: store` in a graph file)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from agentkit.models.config import EmbeddingsConfig
from agentkit.workspace import find_workspace, state_dir


class StoreConfig(BaseModel):
    """Where chunks live and how they are embedded.

    embedded: a folder (default `.agentkit/stores/NAME` in the workspace); weaviate: a
    server `url` and a `collection` (default: NAME capitalized)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field("docs", pattern=r"^[A-Za-z0-9_.-]+$", description="the store's name")
    backend: Literal["embedded", "weaviate"] = "embedded"
    path: str | None = Field(None, description="embedded: folder (relative to the workspace)")
    url: str | None = Field(None, description="weaviate: server URL, e.g. http://localhost:8080")
    api_key_env: str = Field("WEAVIATE_API_KEY", description="weaviate: env var holding the API key")
    collection: str | None = Field(None, description="weaviate: collection name")
    embeddings: EmbeddingsConfig = Field(default_factory=EmbeddingsConfig)

    @model_validator(mode="after")
    def _backend_fields(self) -> "StoreConfig":
        if self.backend == "weaviate" and not self.url:
            raise ValueError("backend weaviate needs `url` (e.g. http://localhost:8080)")
        if self.backend == "embedded" and (self.url or self.collection):
            raise ValueError("`url`/`collection` are for backend weaviate; the embedded store takes `path`")
        return self

    def folder(self, workspace: Path | None = None) -> Path:
        """The embedded store's folder."""
        root = workspace or find_workspace()
        if self.path:
            return (root / self.path).resolve()
        return state_dir(root) / "stores" / self.name

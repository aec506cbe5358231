"""Configuration of a document store resource (`kind: store` in a graph file)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from agentkit.models.config import EmbeddingsConfig
from agentkit.workspace import find_workspace, state_dir

if TYPE_CHECKING:
    from agentkit.rag.stores.weaviate import WeaviateConfig


class StoreConfig(BaseModel):
    """Where chunks live and how they are embedded.

    embedded: a folder (default `.agentkit/stores/NAME` in the workspace); weaviate: a
    server `url` and a `collection` (default: NAME capitalized)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field("docs", pattern=r"^[A-Za-z0-9_.-]+$", description="the store's name")
    backend: Literal["embedded", "weaviate"] = "embedded"
    path: str | None = Field(None, description="embedded: folder (relative to the workspace)")
    url: str | None = Field(None, description="weaviate: server URL (default $WEAVIATE_URL, else http://localhost:8080)")
    api_key_env: str = Field("WEAVIATE_API_KEY", description="weaviate: env var holding the API key")
    collection: str | None = Field(None, description="weaviate: collection name (default: NAME capitalized)")
    grpc_port: int = Field(50051, ge=1, le=65535, description="weaviate: gRPC port on the same host")
    timeout_s: float = Field(30.0, gt=0, description="weaviate: connect/query/insert timeout")
    embeddings: EmbeddingsConfig = Field(default_factory=EmbeddingsConfig)

    @model_validator(mode="after")
    def _backend_fields(self) -> "StoreConfig":
        if self.backend == "weaviate":
            self.weaviate_config()  # its errors say how to write url and collection
        elif self.url or self.collection:
            raise ValueError("`url`/`collection` are for backend weaviate; the embedded store takes `path`")
        return self

    def weaviate_config(self) -> "WeaviateConfig":
        """The Weaviate connection this config describes."""
        from agentkit.rag.stores.weaviate import WeaviateConfig

        given = {"url": self.url, "collection": self.collection or self.name.replace("-", "_").replace(".", "_")}
        return WeaviateConfig(api_key_env=self.api_key_env, grpc_port=self.grpc_port, timeout_s=self.timeout_s,
                              **{key: value for key, value in given.items() if value})

    def folder(self, workspace: Path | None = None) -> Path:
        """The embedded store's folder."""
        root = workspace or find_workspace()
        if self.path:
            return (root / self.path).resolve()
        return state_dir(root) / "stores" / self.name

"""Configuration of a document store resource (`kind: store` in a graph file)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from agentkit.errors import ConfigError
from agentkit.models.config import EmbeddingsConfig
from agentkit.workspace import find_workspace, state_dir

if TYPE_CHECKING:
    from agentkit.rag.stores.weaviate import WeaviateConfig

_STORE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}")


def check_store_name(name: str) -> str:
    """`name` if it is a plain store name (one folder name: not `.`, `..`, hidden or a path);
    ValueError saying how to write one otherwise. Every store name is checked here."""
    if not _STORE_NAME.fullmatch(name):
        raise ValueError(f"store name {name!r} is not a plain name: use letters, digits, '_', '.' or '-', "
                         "starting with a letter, digit or '_' (at most 100), e.g. docs")
    return name


def _shared_folders(workspace: Path) -> set[Path]:
    """Folders that hold more than one store's files (or agentkit's other state)."""
    state = (workspace / ".agentkit").resolve()
    return {workspace.resolve(), state, state / "stores"}


class StoreConfig(BaseModel):
    """Where chunks live and how they are embedded.

    embedded: a folder (default `.agentkit/stores/NAME` in the workspace); weaviate: a
    server `url` and a `collection` (default: NAME capitalized)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field("docs", description="the store's name (letters, digits, '_', '.', '-')")
    backend: Literal["embedded", "weaviate"] = "embedded"
    path: str | None = Field(None, description="embedded: folder (relative to the workspace)")
    url: str | None = Field(None, description="weaviate: server URL (default $WEAVIATE_URL, else http://localhost:8080)")
    api_key_env: str = Field("WEAVIATE_API_KEY", description="weaviate: env var holding the API key")
    collection: str | None = Field(None, description="weaviate: collection name (default: NAME capitalized)")
    grpc_port: int = Field(50051, ge=1, le=65535, description="weaviate: gRPC port on the same host")
    timeout_s: float = Field(30.0, gt=0, description="weaviate: connect/query/insert timeout")
    embeddings: EmbeddingsConfig = Field(default_factory=EmbeddingsConfig)

    @field_validator("name")
    @classmethod
    def _plain_name(cls, name: str) -> str:
        return check_store_name(name)

    @field_validator("path")
    @classmethod
    def _own_folder(cls, path: str | None) -> str | None:
        if path is not None and Path("/w", path).resolve() in _shared_folders(Path("/w")):
            raise ValueError(f"store path {path!r} is a folder agentkit shares with other stores; give the "
                             "store a folder of its own, e.g. data/NAME, or leave `path` out")
        return path

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
        if not self.path:
            return state_dir(root) / "stores" / self.name
        folder = (root / self.path).resolve()
        if folder in _shared_folders(root):
            raise ConfigError(f"store {self.name!r}: path {self.path!r} is {folder}, a folder agentkit shares "
                              "with other stores; give the store a folder of its own, e.g. data/NAME")
        return folder

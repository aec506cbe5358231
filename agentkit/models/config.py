"""Configuration of chat models and embeddings (validated, no secrets)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class ChatModelConfig(BaseModel):
    """Which chat model to use and how to sample from it.

    local: `model` is None (the bundled SmolLM2-135M-Instruct GGUF), a local HF folder,
    a local `.gguf` file or a hub id. openai: `model` is the served model name and
    `base_url` the OpenAI-compatible endpoint (vLLM, Ollama, OpenAI when None).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    provider: Literal["local", "openai"] = "local"
    model: str | None = None
    base_url: str | None = None
    api_key_env: str = "OPENAI_API_KEY"
    max_tokens: int = Field(default=256, ge=1)
    temperature: float = Field(default=0.0, ge=0.0)
    quantize: bool = False


class EmbeddingsConfig(BaseModel):
    """Which embedding model to use: None is the bundled all-MiniLM-L6-v2."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    provider: Literal["local"] = "local"
    model: str | None = None

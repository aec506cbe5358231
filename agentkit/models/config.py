"""Configuration of chat models and embeddings (validated, no secrets)."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

ADAPTER_NAME = r"^[A-Za-z][A-Za-z0-9_-]*$"
QuantLevel = Literal["f16", "q8_0", "q5_1", "q4_1", "q4_0"]
"""GGUF quantization levels the llama.cpp engine runs (agentkit.models.llama.files)."""
EngineKind = Literal["auto", "llama_cpp", "transformers"]
BASE_ADAPTER = "base"
"""Reserved adapter name: the base model itself."""


class ChatModelConfig(BaseModel):
    """Which chat model to use and how to sample from it.

    local: `model` is None (the bundled SmolLM2-135M-Instruct GGUF), a local HF folder,
    a local `.gguf` file or a hub id; `engine` auto runs a GGUF on llama.cpp (at GGUF
    level `quant`, None: the file's own) and other models on transformers (`quantize`:
    torch's dynamic int8). openai: `model` is the served model name and
    `base_url` the OpenAI-compatible endpoint (vLLM, Ollama, OpenAI when None).
    `adapters` (local only): LoRA adapters loaded into the one base model, name -> folder
    path or the name of an adapter shipped with agentkit; a node picks one per call.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    provider: Literal["local", "openai"] = "local"
    model: str | None = None
    base_url: str | None = None
    api_key_env: str = "OPENAI_API_KEY"
    max_tokens: int = Field(default=256, ge=1)
    temperature: float = Field(default=0.0, ge=0.0)
    quantize: bool = False
    engine: EngineKind = "auto"
    quant: QuantLevel | None = None
    adapters: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check_adapters(self) -> ChatModelConfig:
        if self.provider != "local" and (self.engine != "auto" or self.quant is not None):
            raise ValueError("engine and quant choose how a local model runs; with provider openai the server "
                             "decides: drop them")
        if self.quant is not None and (self.quantize or self.engine == "transformers"):
            raise ValueError("quant picks a GGUF level for the llama.cpp engine; it does not combine with "
                             "quantize (transformers' int8) or engine: transformers")
        if not self.adapters:
            return self
        if self.provider != "local":
            raise ValueError("adapters are loaded into a local model; use provider: local, or drop adapters")
        if self.quantize:
            raise ValueError("adapters need the unquantized model; set quantize: false, or merge the adapter "
                             "with `agentkit adapters merge` and quantize the merged model")
        for name, value in self.adapters.items():
            if name == BASE_ADAPTER or not re.match(ADAPTER_NAME, name):
                raise ValueError(f"adapter name {name!r} must be a plain name (letters, digits, _ or -, "
                                 f"starting with a letter) other than {BASE_ADAPTER!r}")
            if not value.strip():
                raise ValueError(f"adapter {name!r}: empty value; give a folder path or a shipped adapter name")
        return self


class EmbeddingsConfig(BaseModel):
    """Which embedding model to use: None is the bundled all-MiniLM-L6-v2."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    provider: Literal["local"] = "local"
    model: str | None = None

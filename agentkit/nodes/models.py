"""Resource kinds for models (`chat_model`, `embeddings`) and the adapter choice of nodes.

The model packages are imported when a resource is built, not when kinds register,
so validating a graph does not load torch."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from langchain_core.embeddings import Embeddings
from langchain_core.language_models import BaseChatModel

from agentkit.engine.context import CheckContext
from agentkit.engine.registry import resource_kind
from agentkit.errors import ConfigError, suggest
from agentkit.models.config import BASE_ADAPTER, ChatModelConfig, EmbeddingsConfig


@resource_kind("chat_model", workspace_scoped=True)
def chat_model(params: ChatModelConfig, workspace: Path) -> BaseChatModel:
    """A chat model: local transformers (SmolLM2-135M-Instruct by default) or OpenAI-compatible.

    `adapters:` name -> adapter folder (relative to the workspace) or shipped adapter name."""
    from agentkit.models import get_chat_model
    from agentkit.models.adapters import adapter_folder

    adapters = {name: str(adapter_folder(value, workspace)) for name, value in params.adapters.items()}
    return get_chat_model(params.model_copy(update={"adapters": adapters}))


@resource_kind("embeddings")
def embeddings(params: EmbeddingsConfig) -> Embeddings:
    """Text embeddings: local all-MiniLM-L6-v2 by default."""
    from agentkit.models import get_embeddings

    return get_embeddings(params)


def adapter_problems(llm: str, adapter: str | None, ctx: CheckContext,
                     extra: Iterable[str] = ()) -> Iterator[tuple[tuple[str | int, ...], str, str]]:
    """A node's `adapter:` must name an adapter of its chat_model resource (or `base`);
    `extra` names are also accepted (e.g. tool_agent's `auto`)."""
    resource = ctx.spec.resources.get(llm)
    if adapter is None or adapter == BASE_ADAPTER or adapter in extra or resource is None:
        return
    declared = resource.params.get("adapters")
    names = list(declared) if isinstance(declared, dict) else []
    if adapter not in names:
        yield ("adapter",), f"chat_model {llm!r} has no adapter {adapter!r}", \
            f"{suggest(adapter, names)}; declare it under resources.{llm}.adapters (name: folder or " \
            f"shipped adapter name), or use `base`"


def with_adapter(model: BaseChatModel, adapter: str | None) -> BaseChatModel:
    """`model` answering with `adapter` (None: as configured); only local models have adapters."""
    if adapter is None:
        return model
    select = getattr(model, "with_adapter", None)
    if select is None:
        raise ConfigError(f"adapter {adapter!r}: only a local chat_model loads adapters")
    return select(adapter)

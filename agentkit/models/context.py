"""Fitting prompts into a model's context window: the check and the history policy."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Literal

from langchain_core.messages import BaseMessage, trim_messages
from langchain_core.messages.utils import count_tokens_approximately
from pydantic import BaseModel, ConfigDict, Field

from agentkit.errors import ContextLengthError

if TYPE_CHECKING:  # importing transformers loads torch: validating a graph must not
    from transformers import PretrainedConfig

TokenCounter = Callable[[Sequence[BaseMessage]], int]
_WINDOW_KEYS = ("max_position_embeddings", "n_positions", "max_sequence_length", "seq_length")


def context_window(config: PretrainedConfig) -> int | None:
    """The model's context length in tokens, read from its config (None if it declares none)."""
    text_config = getattr(config, "text_config", None) or config
    for key in _WINDOW_KEYS:
        value = getattr(text_config, key, None)
        if isinstance(value, int) and value > 0:
            return value
    return None


def check_fits(model: str, prompt_tokens: int, max_tokens: int, limit: int | None) -> None:
    """Raise ContextLengthError unless `prompt_tokens + max_tokens` fit in `limit`."""
    if limit is not None and prompt_tokens + max_tokens > limit:
        raise ContextLengthError(model, prompt_tokens, max_tokens, limit)


class HistoryPolicy(BaseModel):
    """Which earlier turns of a conversation are sent to the model (the stored
    conversation is never changed). As LangChain's `trim_messages`: keep whole messages
    within `max_tokens`, the newest (`last`) or the oldest (`first`); the current, last
    message is always sent."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_tokens: int = Field(ge=1, description="token budget for the conversation sent to the model")
    strategy: Literal["last", "first"] = Field("last", description="keep the newest (last) or oldest (first) turns")


def trim_history(
    messages: Sequence[BaseMessage], policy: HistoryPolicy, count: TokenCounter
) -> list[BaseMessage]:
    """`messages` cut to the policy's budget: system messages stay, whole turns go, the kept
    part starts on a human turn, and the last message is kept even if it alone is over."""
    if not messages:
        return []
    *earlier, current = messages
    budget = policy.max_tokens - count([current])
    kept: list[BaseMessage] = []
    if budget > 0 and earlier:
        start_on = "human" if policy.strategy == "last" else None
        kept = trim_messages(
            earlier, max_tokens=budget, token_counter=count, strategy=policy.strategy,
            include_system=policy.strategy == "last", start_on=start_on, allow_partial=False,
        )
    if not kept or kept[0].type != "system":
        kept = [m for m in earlier[:1] if m.type == "system"] + kept
    return [*kept, current]


def token_counter(model: object) -> TokenCounter:
    """The model's own chat-prompt token count when it has one (local models), else an
    estimate of about 4 characters a token (remote models: no tokenizer is downloaded)."""
    from agentkit.models.local_chat import LocalChatModel

    if isinstance(model, LocalChatModel):
        return lambda messages: model.get_num_tokens_from_messages(list(messages))
    return count_tokens_approximately

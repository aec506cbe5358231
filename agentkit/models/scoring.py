"""Log-likelihood of candidate continuations of a prompt (for choosing among labels),
and such a scoring call traced as an LLM run."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from langchain_core.callbacks import CallbackManager
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, UsageMetadata
from langchain_core.outputs import ChatGeneration, LLMResult
from langchain_core.runnables import RunnableConfig, ensure_config

if TYPE_CHECKING:
    from agentkit.models.loading import LoadedModel, ModelTokens


def continuation_log_likelihoods(
    loaded: LoadedModel, prompt_ids: Sequence[int], continuations: Sequence[Sequence[int]]
) -> list[float]:
    """Sum of token log-probabilities of each continuation (token ids) after the prompt.

    One batched forward pass over prompt+continuation rows (right padded); only the logits
    of the continuation positions are computed.
    """
    import torch  # here: importing this module (to trace a scoring call) does not load torch

    with torch.inference_mode():
        longest = max(len(c) for c in continuations)
        prompt = list(prompt_ids)
        ids = torch.tensor(
            [prompt + c + [loaded.pad_id] * (longest - len(c)) for c in continuations]
        )
        mask = torch.tensor(
            [[1] * (len(prompt) + len(c)) + [0] * (longest - len(c)) for c in continuations]
        )
        logits = loaded.model(input_ids=ids, attention_mask=mask, logits_to_keep=longest + 1).logits
        log_probs = torch.log_softmax(logits[:, :-1, :].float(), dim=-1)
        scores = []
        for row, continuation in enumerate(continuations):
            picked = log_probs[row, torch.arange(len(continuation)), torch.tensor(continuation)]
            scores.append(picked.sum().item())
        return scores


def option_ids(tokens: ModelTokens, options: Sequence[str]) -> list[list[int]]:
    """The token ids each option is scored as: its tokens, then end of turn."""
    tail = [] if tokens.end_of_turn_id is None else [tokens.end_of_turn_id]
    return [tokens.tokenizer(option, add_special_tokens=False)["input_ids"] + tail for option in options]


def traced_option_scores(
    model: BaseChatModel,
    messages: LanguageModelInput,
    options: Sequence[str],
    config: RunnableConfig | None = None,
) -> list[float]:
    """`model.score_options(messages, options)` as an LLM run of `model`, so callbacks (and
    Phoenix, as an LLM span under the caller's run) see it like an `invoke`: the prompt
    messages in; the most likely option out, with each option's log-likelihood in the
    response metadata and, for a local model, token usage (prompt tokens in, the option
    tokens scored out)."""
    config = ensure_config(config)
    chat = model._convert_input(messages).to_messages()
    manager = CallbackManager.configure(
        config.get("callbacks"), model.callbacks, model.verbose, config.get("tags"), model.tags,
        {**config.get("metadata", {}), **model._get_ls_params()}, model.metadata,
    )
    (run,) = manager.on_chat_model_start(
        model._serialized, [chat], invocation_params={**model._get_invocation_params(), "options": list(options)},
        options={}, batch_size=1,
    )
    try:
        scores = model.score_options(chat, options)
    except BaseException as exc:
        run.on_llm_error(exc)
        raise
    best = options[max(range(len(options)), key=scores.__getitem__)]
    extra: dict[str, Any] = {}
    if hasattr(model, "prompt_ids") and hasattr(model, "tokens"):  # a LocalChatModel
        tokens = model.tokens
        prompt = len(model.prompt_ids(chat))
        scored = sum(map(len, option_ids(tokens, options)))
        extra["usage_metadata"] = UsageMetadata(input_tokens=prompt, output_tokens=scored,
                                                total_tokens=prompt + scored)
        extra["response_metadata"] = {"model_name": tokens.name}
    reply = AIMessage(content=best, **extra)
    reply.response_metadata["log_likelihoods"] = dict(zip(options, scores))
    run.on_llm_end(LLMResult(generations=[[ChatGeneration(message=reply)]]))
    return scores

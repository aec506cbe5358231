"""LocalChatModel: a local transformers causal LM as a LangChain chat model."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import (
    BaseChatModel,
    LangSmithParams,
    LanguageModelInput,
)
from langchain_core.language_models.chat_models import generate_from_stream
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    UsageMetadata,
)
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from pydantic import Field, model_validator

from agentkit.errors import ConfigError
from agentkit.models.completion import Completion
from agentkit.models.config import ChatModelConfig
from agentkit.models.decoding import generate_tokens
from agentkit.models.loading import LoadedModel, shared_model
from agentkit.models.prompting import render_prompt
from agentkit.models.scoring import continuation_log_likelihoods


class LocalChatModel(BaseChatModel):
    """A local causal LM (CPU, offline) with real streaming, stop sequences and usage.

    Any message sequence works: a last AI message is continued, any other last message
    gets a new assistant turn. Instances with equal `model` and `quantize` share one
    loaded model. Per call, `max_tokens` and `temperature` may be overridden as kwargs.
    """

    model: str | None = None
    max_tokens: int = Field(default=256, ge=1)
    temperature: float = Field(default=0.0, ge=0.0)
    quantize: bool = False

    @model_validator(mode="after")
    def _load(self) -> LocalChatModel:
        shared_model(self.model, self.quantize)
        return self

    @classmethod
    def from_config(cls, config: ChatModelConfig) -> LocalChatModel:
        """Build from a `ChatModelConfig` with `provider: local`."""
        if config.provider != "local":
            raise ConfigError(
                f"LocalChatModel got provider {config.provider!r}; use get_chat_model(config)"
            )
        if config.base_url is not None:
            raise ConfigError(
                f"chat model: base_url {config.base_url!r} is set but provider is 'local'; "
                "set provider: openai to use an OpenAI-compatible endpoint, or drop base_url"
            )
        return cls(
            model=config.model,
            max_tokens=config.max_tokens,
            temperature=config.temperature,
            quantize=config.quantize,
        )

    @property
    def loaded(self) -> LoadedModel:
        """The shared model, tokenizer and special token ids."""
        return shared_model(self.model, self.quantize)

    @property
    def _llm_type(self) -> str:
        return "agentkit-local"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {
            "model_name": self.loaded.name,
            "max_tokens": self.max_tokens,
            "temperature": self.temperature,
            "quantize": self.quantize,
        }

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        params = super()._get_ls_params(stop=stop, **kwargs)
        params["ls_provider"] = "local"
        params["ls_model_name"] = self.loaded.name
        return params

    def prompt_ids(self, messages: Sequence[BaseMessage]) -> list[int]:
        """Token ids of the chat-template prompt for `messages` (the input tokens)."""
        tokenizer = self.loaded.tokenizer
        return tokenizer(render_prompt(tokenizer, messages), add_special_tokens=False)[
            "input_ids"
        ]

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        max_tokens, temperature = self._sampling(**kwargs)
        loaded = self.loaded
        prompt = self.prompt_ids(messages)
        completion = Completion(loaded.tokenizer, loaded.eos_ids, stop or [], max_tokens)
        for (token,) in generate_tokens(loaded, [prompt], max_tokens, temperature):
            text = completion.add(token)
            if text:
                yield ChatGenerationChunk(message=AIMessageChunk(content=text))
            if completion.finished:
                break
        yield ChatGenerationChunk(
            message=AIMessageChunk(
                content="",
                chunk_position="last",
                usage_metadata=_usage(len(prompt), completion),
                response_metadata=self._response_metadata(completion),
            )
        )

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return generate_from_stream(self._stream(messages, stop, run_manager, **kwargs))

    def generate_batch(
        self,
        inputs: Sequence[LanguageModelInput],
        *,
        stop: list[str] | None = None,
        max_tokens: int | None = None,
        temperature: float | None = None,
    ) -> list[AIMessage]:
        """Generate for many prompts at once (one left-padded batch), one reply each."""
        max_tokens, temperature = self._sampling(max_tokens, temperature)
        loaded = self.loaded
        prompts = [self.prompt_ids(self._convert_input(i).to_messages()) for i in inputs]
        completions = [
            Completion(loaded.tokenizer, loaded.eos_ids, stop or [], max_tokens) for _ in prompts
        ]
        for tokens in generate_tokens(loaded, prompts, max_tokens, temperature):
            for completion, token in zip(completions, tokens, strict=True):
                if not completion.finished:
                    completion.add(token)
            if all(c.finished for c in completions):
                break
        return [
            AIMessage(
                content=c.text,
                usage_metadata=_usage(len(p), c),
                response_metadata=self._response_metadata(c),
            )
            for p, c in zip(prompts, completions, strict=True)
        ]

    def score_options(self, messages: LanguageModelInput, options: Sequence[str]) -> list[float]:
        """Log-likelihood of each option as the assistant's (whole) next reply."""
        prompt = self.prompt_ids(self._convert_input(messages).to_messages())
        return continuation_log_likelihoods(self.loaded, prompt, options)

    def choose(self, messages: LanguageModelInput, options: Sequence[str]) -> str:
        """The option the model finds most likely as the assistant's reply."""
        scores = self.score_options(messages, options)
        return options[max(range(len(options)), key=scores.__getitem__)]

    def _sampling(
        self, max_tokens: int | None = None, temperature: float | None = None, **unsupported: Any
    ) -> tuple[int, float]:
        """Per-call `max_tokens` / `temperature`, defaulting to the instance's."""
        if unsupported:
            raise TypeError(
                f"LocalChatModel got unsupported call options {sorted(unsupported)}; "
                "supported: max_tokens, temperature"
            )
        max_tokens = self.max_tokens if max_tokens is None else max_tokens
        temperature = self.temperature if temperature is None else temperature
        if max_tokens < 1 or temperature < 0:
            raise ValueError(
                f"need max_tokens >= 1 and temperature >= 0, got {max_tokens} and {temperature}"
            )
        return max_tokens, temperature

    def _response_metadata(self, completion: Completion) -> dict[str, Any]:
        return {"model_name": self.loaded.name, "finish_reason": completion.finish_reason}


def _usage(prompt_tokens: int, completion: Completion) -> UsageMetadata:
    return UsageMetadata(
        input_tokens=prompt_tokens,
        output_tokens=completion.token_count,
        total_tokens=prompt_tokens + completion.token_count,
    )

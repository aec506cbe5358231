"""LocalChatModel: a local transformers causal LM as a LangChain chat model."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
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
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_validator

from agentkit.errors import ConfigError
from agentkit.models.adapter_meta import model_fingerprint, read_meta
from agentkit.models.adapters import AdapterHost, adapter_folder, adapters_disabled, host_for, shipped_adapters
from agentkit.models.completion import Completion
from agentkit.models.config import BASE_ADAPTER, ChatModelConfig
from agentkit.models.context import check_fits, context_window
from agentkit.models.decoding import generate_tokens
from agentkit.models.grammar import Grammar, grammar_engine
from agentkit.models.loading import LoadedModel, resolve_source, shared_model
from agentkit.models.prompting import render_prompt
from agentkit.models.scoring import continuation_log_likelihoods
from agentkit.models.structured import structured_output
from agentkit.models.tool_prompt import render_tool_prompt
from agentkit.models.tools import JSON_LINES, ToolBinding


class CallOptions(BaseModel):
    """What one call may set: sampling, bound tools (see `bind_tools`) or a JSON Schema
    the reply must match (`response_format`, used by `with_structured_output`)."""

    model_config = ConfigDict(extra="forbid")

    max_tokens: int = Field(ge=1)
    temperature: float = Field(ge=0.0)
    seed: int | None = None
    tools: list[dict[str, Any]] | None = None
    tool_choice: str | dict[str, Any] | bool | None = None
    parallel_tool_calls: bool = True
    strict: bool = True
    response_format: dict[str, Any] | None = None
    adapter: str | None = None


class LocalChatModel(BaseChatModel):
    """A local causal LM (CPU, offline) with real streaming, stop sequences and usage.

    Any message sequence works: a last AI message is continued, any other last message
    gets a new assistant turn. Instances with equal `model` and `quantize` share one
    loaded model. Per call, `max_tokens` and `temperature` may be overridden as kwargs, and
    `seed` makes sampling reproducible (OpenAI's `seed` parameter).
    Tool calling (`bind_tools`) and structured output (`with_structured_output`) use
    grammar-constrained decoding, so calls and JSON always validate.

    `adapters` (name -> folder or shipped adapter name) are LoRA adapters loaded once into
    the shared base model; `with_adapter(name)` or the call option `adapter=name` (e.g.
    `model.bind(adapter="polite")`) picks the one that answers, None or "base" the base.
    """

    model: str | None = None
    max_tokens: int = Field(default=256, ge=1)
    temperature: float = Field(default=0.0, ge=0.0)
    quantize: bool = False
    adapters: dict[str, str] = Field(default_factory=dict)
    adapter: str | None = None
    _peft_names: dict[str, str] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _load(self) -> LocalChatModel:
        loaded = shared_model(self.model, self.quantize)
        if self.adapters:
            ChatModelConfig(model=self.model, quantize=self.quantize, adapters=self.adapters)
            host = host_for(loaded, self.model)
            self._peft_names = {name: host.load(adapter_folder(value)) for name, value in self.adapters.items()}
        self._peft_name(self.adapter)
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
            adapters=config.adapters,
        )

    def with_adapter(self, name: str | None) -> LocalChatModel:
        """This model answering with adapter `name` (None or "base": the base model)."""
        self._peft_name(name)
        return self.model_copy(update={"adapter": name})

    def with_adapter_if_fits(self, name: str) -> LocalChatModel:
        """With adapter `name` if this model declares it, else with the shipped adapter of
        that name when it was trained on this base model, else this model unchanged."""
        if name in self.adapters:
            return self.with_adapter(name)
        folder = shipped_adapters().get(name)
        if folder is None or self.quantize:
            return self
        if read_meta(folder).base_model_sha256 != model_fingerprint(resolve_source(self.model)):
            return self
        return type(self)(model=self.model, max_tokens=self.max_tokens, temperature=self.temperature,
                          adapters={**self.adapters, name: name}, adapter=name)

    def _peft_name(self, name: str | None) -> str | None:
        """The peft name of adapter `name` (None: the base); a clear error for unknown names."""
        if name is None or name == BASE_ADAPTER:
            return None
        if name not in self.adapters:
            known = ", ".join(self.adapters) or "none"
            raise ConfigError(f"chat model has no adapter {name!r} (adapters: {known}); declare it under the "
                              f"chat_model's `adapters:` or pick another")
        return self._peft_names[name]

    @property
    def host(self) -> AdapterHost:
        """The shared model's adapter host (loads, switches and locks adapters)."""
        return host_for(self.loaded, self.model)

    def _answering(self, options: CallOptions, run_manager: CallbackManagerForLLMRun | None) -> str:
        """The adapter that answers this call ("base": none), recorded on the LLM span."""
        name = options.adapter or self.adapter
        if adapters_disabled() or self._peft_name(name) is None:
            name = BASE_ADAPTER
        if run_manager is not None:
            from agentkit.observability.attributes import set_run_span_attributes

            set_run_span_attributes(run_manager.run_id, {"llm.adapter": name})
        return name

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
            "adapter": self.adapter or BASE_ADAPTER,
        }

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        params = super()._get_ls_params(stop=stop, **kwargs)
        params["ls_provider"] = "local"
        params["ls_model_name"] = self.loaded.name
        return params

    def prompt_ids(self, messages: Sequence[BaseMessage]) -> list[int]:
        """Token ids of the chat-template prompt for `messages` (the input tokens)."""
        return self._tokenize(render_prompt(self.loaded.tokenizer, messages))

    @property
    def context_window(self) -> int | None:
        """The model's context length in tokens (from its config)."""
        return context_window(self.loaded.model.config)

    def get_num_tokens(self, text: str) -> int:
        """Tokens of `text` in the model's own tokenizer."""
        return len(self._tokenize(text))

    def get_num_tokens_from_messages(
        self, messages: list[BaseMessage], tools: Sequence[Any] | None = None
    ) -> int:
        """Tokens of the chat-template prompt for `messages` (what `trim_messages` counts)."""
        return len(self.prompt_ids(messages)) if messages else 0

    def _fit(self, prompt: list[int], max_tokens: int) -> list[int]:
        """`prompt`, after checking that it and `max_tokens` fit the context window."""
        check_fits(self.loaded.name, len(prompt), max_tokens, self.context_window)
        return prompt

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: str | dict[str, Any] | bool | None = None,
        parallel_tool_calls: bool = True,
        strict: bool = True,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Bind tools: replies carry `tool_calls` (see `agentkit.models.tools`).

        `tool_choice`: "auto"/None (text or calls), "required"/"any" (some call), a tool
        name or `{"type": "function", "function": {"name": ...}}` (that one), "none" (text).
        With `strict`, decoding is grammar-constrained so every call validates; without,
        calls that do not parse or validate land in `invalid_tool_calls`.
        """
        binding = ToolBinding.create(tools, tool_choice, parallel_tool_calls, strict)
        if strict:  # a schema the grammar engine cannot compile fails here, not mid-run
            binding.grammar(grammar_engine(self.loaded), JSON_LINES)
        return self.bind(**binding.model_dump(), **kwargs)

    def with_structured_output(
        self,
        schema: dict[str, Any] | type,
        *,
        include_raw: bool = False,
        max_retries: int = 2,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, dict[str, Any] | BaseModel]:
        """A runnable whose output is validated `schema` data (see `agentkit.models.structured`).

        `schema`: a pydantic model class (gives an instance), a JSON Schema dict, a
        TypedDict or a LangChain tool (give dicts). Decoding follows the schema's grammar;
        a failing validator is retried up to `max_retries` times with the error fed back.
        """
        if kwargs:
            raise TypeError(
                f"LocalChatModel.with_structured_output got unsupported options {sorted(kwargs)} "
                "(decoding is always grammar-constrained JSON); supported: include_raw, max_retries"
            )
        return structured_output(
            self,
            grammar_engine(self.loaded),
            schema,
            include_raw=include_raw,
            max_retries=max_retries,
        )

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        options = self._options(**kwargs)
        if options.tools is not None:  # a tool reply is parsed whole: one chunk
            reply = self._tool_reply(messages, stop, options, run_manager)
            yield ChatGenerationChunk(message=AIMessageChunk(**_chunk_fields(reply)))
            return
        adapter = self._answering(options, run_manager)
        prompt = self._fit(self.prompt_ids(messages), options.max_tokens)
        completion = self._completion(stop, options)
        for text in self._decode(prompt, completion, options, self._response_grammar(options), adapter):
            yield ChatGenerationChunk(message=AIMessageChunk(content=text))
        yield ChatGenerationChunk(
            message=AIMessageChunk(
                content="",
                chunk_position="last",
                usage_metadata=_usage(len(prompt), completion),
                response_metadata=self._response_metadata(completion, adapter),
            )
        )

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        options = self._options(**kwargs)
        if options.tools is not None:  # direct, so invalid calls stay exactly as parsed
            reply = self._tool_reply(messages, stop, options, run_manager)
            return ChatResult(generations=[ChatGeneration(message=reply)])
        return generate_from_stream(self._stream(messages, stop, run_manager, **kwargs))

    def _tool_reply(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None,
        options: CallOptions,
        run_manager: CallbackManagerForLLMRun | None,
    ) -> AIMessage:
        adapter = self._answering(options, run_manager)
        binding = ToolBinding.create(
            options.tools or [], options.tool_choice, options.parallel_tool_calls, options.strict
        )
        text, call_format = render_tool_prompt(self.loaded.tokenizer, messages, binding)
        prompt = self._fit(self._tokenize(text), options.max_tokens)
        grammar = (
            binding.grammar(grammar_engine(self.loaded), call_format) if binding.strict else None
        )
        completion = self._completion(stop, options)
        for _ in self._decode(prompt, completion, options, grammar, adapter):
            pass
        return AIMessage(
            **binding.parse(completion.text, call_format).model_dump(),
            usage_metadata=_usage(len(prompt), completion),
            response_metadata=self._response_metadata(completion, adapter),
        )

    def _response_grammar(self, options: CallOptions) -> Grammar | None:
        if options.response_format is None:
            return None
        return grammar_engine(self.loaded).json_schema(options.response_format, "response_format")

    def _completion(self, stop: list[str] | None, options: CallOptions) -> Completion:
        loaded = self.loaded
        return Completion(loaded.tokenizer, loaded.eos_ids, stop or [], options.max_tokens)

    def _decode(
        self,
        prompt: list[int],
        completion: Completion,
        options: CallOptions,
        grammar: Grammar | None,
        adapter: str,
    ) -> Iterator[str]:
        """Generate into `completion` with `adapter` answering, yielding the text that
        became final."""
        loaded = self.loaded
        constraint = None if grammar is None else grammar_engine(loaded).mask([grammar])
        steps = generate_tokens(
            loaded, [prompt], options.max_tokens, options.temperature, constraint, options.seed
        )
        for (token,) in self._steps(steps, adapter):
            text = completion.add(token)
            if text:
                yield text
            if completion.finished:
                break

    def _steps(self, steps: Iterator[list[int]], adapter: str) -> Iterator[list[int]]:
        """`steps`, each forward pass run with `adapter` active under the host's lock (the
        lock is not held between steps, so interleaved calls stay correct)."""
        host, peft_name = self.host, self._peft_name(adapter)
        while True:
            with host.use(peft_name):
                tokens = next(steps, None)
            if tokens is None:
                return
            yield tokens

    def _tokenize(self, text: str) -> list[int]:
        return self.loaded.tokenizer(text, add_special_tokens=False)["input_ids"]

    def generate_batch(
        self,
        inputs: Sequence[LanguageModelInput],
        *,
        stop: list[str] | None = None,
        max_tokens: int | None = None,
        temperature: float | None = None,
        seed: int | None = None,
        response_format: dict[str, Any] | None = None,
        adapter: str | None = None,
    ) -> list[AIMessage]:
        """Generate for many prompts at once (one left-padded batch), one reply each;
        with `response_format` (a JSON Schema) every reply is JSON matching it."""
        options = self._options(
            max_tokens=max_tokens, temperature=temperature, seed=seed, response_format=response_format,
            adapter=adapter,
        )
        answering = self._answering(options, None)
        loaded = self.loaded
        prompts = [
            self._fit(self.prompt_ids(self._convert_input(i).to_messages()), options.max_tokens)
            for i in inputs
        ]
        completions = [self._completion(stop, options) for _ in prompts]
        grammar = self._response_grammar(options)
        constraint = None
        if grammar is not None:
            constraint = grammar_engine(loaded).mask([grammar] * len(prompts))
        steps = generate_tokens(
            loaded, prompts, options.max_tokens, options.temperature, constraint, options.seed
        )
        for tokens in self._steps(steps, answering):
            for completion, token in zip(completions, tokens, strict=True):
                if not completion.finished:
                    completion.add(token)
            if all(c.finished for c in completions):
                break
        return [
            AIMessage(
                content=c.text,
                usage_metadata=_usage(len(p), c),
                response_metadata=self._response_metadata(c, answering),
            )
            for p, c in zip(prompts, completions, strict=True)
        ]

    def score_options(self, messages: LanguageModelInput, options: Sequence[str]) -> list[float]:
        """Log-likelihood of each option as the assistant's (whole) next reply."""
        prompt = self.prompt_ids(self._convert_input(messages).to_messages())
        longest = max((self.get_num_tokens(option) for option in options), default=0)
        self._fit(prompt, longest + 1)
        answering = self._answering(CallOptions(max_tokens=1, temperature=0.0), None)
        with self.host.use(self._peft_name(answering)):
            return continuation_log_likelihoods(self.loaded, prompt, options)

    def choose(self, messages: LanguageModelInput, options: Sequence[str]) -> str:
        """The option the model finds most likely as the assistant's reply."""
        scores = self.score_options(messages, options)
        return options[max(range(len(options)), key=scores.__getitem__)]

    def _options(self, **kwargs: Any) -> CallOptions:
        """Per-call options, `max_tokens` / `temperature` defaulting to the instance's."""
        unsupported = set(kwargs) - set(CallOptions.model_fields)
        if unsupported:
            raise TypeError(
                f"LocalChatModel got unsupported call options {sorted(unsupported)}; "
                f"supported: {', '.join(CallOptions.model_fields)}"
            )
        defaults = {"max_tokens": self.max_tokens, "temperature": self.temperature}
        given = {key: value for key, value in kwargs.items() if value is not None}
        try:
            return CallOptions.model_validate({**defaults, **given})
        except ValidationError as exc:
            raise ValueError(f"LocalChatModel call options: {exc}") from exc

    def _response_metadata(self, completion: Completion, adapter: str) -> dict[str, Any]:
        return {"model_name": self.loaded.name, "adapter": adapter, "finish_reason": completion.finish_reason}


def _usage(prompt_tokens: int, completion: Completion) -> UsageMetadata:
    return UsageMetadata(
        input_tokens=prompt_tokens,
        output_tokens=completion.token_count,
        total_tokens=prompt_tokens + completion.token_count,
    )


def _chunk_fields(reply: AIMessage) -> dict[str, Any]:
    """An AI message as the fields of its single, last stream chunk."""
    return {
        "content": reply.content,
        "tool_calls": reply.tool_calls,
        "invalid_tool_calls": reply.invalid_tool_calls,
        "usage_metadata": reply.usage_metadata,
        "response_metadata": reply.response_metadata,
        "chunk_position": "last",
    }

"""LocalChatModel: a local transformers causal LM as a LangChain chat model."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import (
    BaseChatModel,
    LangSmithParams,
    LanguageModelInput,
)
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
from agentkit.models.adapters import adapter_folder, adapters_disabled, shipped_adapters
from agentkit.models.backends import Backend, backend_for
from agentkit.models.completion import Completion
from agentkit.models.config import BASE_ADAPTER, ChatModelConfig, EngineKind, QuantLevel
from agentkit.models.context import check_fits
from agentkit.models.generation import Generation, GenerationRequest
from agentkit.models.grammar import Grammar, grammar_engine
from agentkit.models.loading import LoadedModel, ModelTokens, resolve_source, shared_model
from agentkit.models.prompting import render_prompt
from agentkit.models.scoring import option_ids
from agentkit.models.structured import structured_output
from agentkit.models.tool_prompt import render_tool_prompt
from agentkit.models.tools import JSON_LINES, CallFormat, ToolBinding


RunManager = CallbackManagerForLLMRun | AsyncCallbackManagerForLLMRun


@dataclass(frozen=True)
class _Plan:
    """One call, ready to generate."""

    request: GenerationRequest
    adapter: str
    binding: ToolBinding | None
    call_format: CallFormat


class CallOptions(BaseModel):
    """What one call may set: sampling, bound tools (see `bind_tools`) or a JSON Schema
    the reply must match (`response_format`, used by `with_structured_output`)."""

    model_config = ConfigDict(extra="forbid")

    max_tokens: int = Field(ge=1)
    temperature: float = Field(ge=0.0)
    top_p: float = Field(1.0, gt=0.0, le=1.0)
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
    gets a new assistant turn. Instances of one model share one engine (`engine`: auto
    runs a GGUF on llama.cpp, where concurrent calls share forward passes, at the GGUF
    level `quant`; other models on transformers). Per call, `max_tokens`, `temperature`
    and `top_p` may be overridden as kwargs, and `seed` makes sampling reproducible
    (OpenAI's `seed` parameter).
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
    engine: EngineKind = "auto"
    quant: QuantLevel | None = None
    adapters: dict[str, str] = Field(default_factory=dict)
    adapter: str | None = None
    _adapter_keys: dict[str, str] = PrivateAttr(default_factory=dict)
    _backend: Backend | None = PrivateAttr(None)

    @model_validator(mode="after")
    def _load(self) -> LocalChatModel:
        backend = self.backend
        if self.adapters:
            ChatModelConfig(model=self.model, quantize=self.quantize, adapters=self.adapters)
            self._adapter_keys = {name: backend.adapter_key(adapter_folder(value))
                                  for name, value in self.adapters.items()}
        self._adapter_key(self.adapter)
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
            engine=config.engine,
            quant=config.quant,
            adapters=config.adapters,
        )

    def with_adapter(self, name: str | None) -> LocalChatModel:
        """This model answering with adapter `name` (None or "base": the base model)."""
        self._adapter_key(name)
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
                          engine=self.engine, quant=self.quant, adapters={**self.adapters, name: name}, adapter=name)

    def _adapter_key(self, name: str | None) -> str | None:
        """The engine's key of adapter `name` (None: the base); a clear error for unknown names."""
        if name is None or name == BASE_ADAPTER:
            return None
        if name not in self.adapters:
            known = ", ".join(self.adapters) or "none"
            raise ConfigError(f"chat model has no adapter {name!r} (adapters: {known}); declare it under the "
                              f"chat_model's `adapters:` or pick another")
        return self._adapter_keys[name]

    @property
    def backend(self) -> Backend:
        """The engine this model generates on (shared by every instance of the model)."""
        if self._backend is None:
            self._backend = backend_for(self.model, self.engine, self.quant, self.quantize)
        return self._backend

    @property
    def tokens(self) -> ModelTokens:
        """The model's tokenizer and token facts."""
        return self.backend.tokens

    def _answering(self, options: CallOptions, run_manager: RunManager | None) -> str:
        """The adapter that answers this call ("base": none), recorded on the LLM span."""
        name = options.adapter or self.adapter
        if adapters_disabled() or self._adapter_key(name) is None:
            name = BASE_ADAPTER
        if run_manager is not None:
            from agentkit.observability.attributes import set_run_span_attributes

            set_run_span_attributes(run_manager.run_id, {"llm.adapter": name})
        return name

    @property
    def loaded(self) -> LoadedModel:
        """The model loaded in transformers (for looking inside it; generation runs on `backend`)."""
        return shared_model(self.model, self.quantize)

    @property
    def _llm_type(self) -> str:
        return "agentkit-local"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {
            "model_name": self.tokens.name,
            "max_tokens": self.max_tokens,
            "temperature": self.temperature,
            "quantize": self.quantize,
            "engine": self.backend.kind,
            "quant": self.quant,
            "adapter": self.adapter or BASE_ADAPTER,
        }

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        params = super()._get_ls_params(stop=stop, **kwargs)
        params["ls_provider"] = "local"
        params["ls_model_name"] = self.tokens.name
        return params

    def prompt_ids(self, messages: Sequence[BaseMessage]) -> list[int]:
        """Token ids of the chat-template prompt for `messages` (the input tokens)."""
        return self._tokenize(render_prompt(self.tokens.tokenizer, messages))

    @property
    def context_window(self) -> int | None:
        """The context length a call may fill, in tokens (the model's, or its engine's smaller one)."""
        engine = getattr(self.backend, "engine", None)
        return self.tokens.context_window if engine is None else engine.context

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
        check_fits(self.tokens.name, len(prompt), max_tokens, self.context_window)
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
            binding.grammar(grammar_engine(self.tokens), JSON_LINES)
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
            grammar_engine(self.tokens),
            schema,
            include_raw=include_raw,
            max_retries=max_retries,
        )

    def _plan(self, messages: list[BaseMessage], stop: list[str] | None, options: CallOptions,
              run_manager: RunManager | None) -> _Plan:
        """What one call generates: its prompt, grammar and adapter (a tool call's binding)."""
        adapter = self._answering(options, run_manager)
        binding, call_format = None, JSON_LINES
        if options.tools is not None:
            binding = ToolBinding.create(options.tools, options.tool_choice, options.parallel_tool_calls,
                                         options.strict)
            text, call_format = render_tool_prompt(self.tokens.tokenizer, messages, binding)
            prompt = self._fit(self._tokenize(text), options.max_tokens)
            grammar = binding.grammar(grammar_engine(self.tokens), call_format) if binding.strict else None
        else:
            prompt = self._fit(self.prompt_ids(messages), options.max_tokens)
            grammar = self._response_grammar(options)
        request = self._request(prompt, self._completion(stop, options), options, grammar, adapter)
        return _Plan(request, adapter, binding, call_format)

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        plan = self._plan(messages, stop, self._options(**kwargs), run_manager)
        generation = self.backend.start(plan.request)
        if plan.binding is not None:  # a tool reply is parsed whole: one chunk
            for _ in generation.texts():
                pass
            yield ChatGenerationChunk(message=AIMessageChunk(**_chunk_fields(self._reply(plan, generation))))
            return
        for text in generation.texts():
            yield ChatGenerationChunk(message=AIMessageChunk(content=text))
        yield self._last_chunk(plan, generation)

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        plan = self._plan(messages, stop, self._options(**kwargs), run_manager)
        generation = self.backend.start(plan.request, asyncio.get_running_loop())
        if plan.binding is not None:
            async for _ in generation.async_texts():
                pass
            yield ChatGenerationChunk(message=AIMessageChunk(**_chunk_fields(self._reply(plan, generation))))
            return
        async for text in generation.async_texts():
            yield ChatGenerationChunk(message=AIMessageChunk(content=text))
        yield self._last_chunk(plan, generation)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        plan = self._plan(messages, stop, self._options(**kwargs), run_manager)
        generation = self.backend.start(plan.request)
        for _ in generation.texts():
            pass
        return ChatResult(generations=[ChatGeneration(message=self._reply(plan, generation))])

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        plan = self._plan(messages, stop, self._options(**kwargs), run_manager)
        generation = self.backend.start(plan.request, asyncio.get_running_loop())
        async for _ in generation.async_texts():
            pass
        return ChatResult(generations=[ChatGeneration(message=self._reply(plan, generation))])

    def _reply(self, plan: _Plan, generation: Generation) -> AIMessage:
        """The finished generation as a message (text, or the parsed tool calls as generated)."""
        completion = plan.request.completion
        fields = {"content": completion.text} if plan.binding is None else \
            plan.binding.parse(completion.text, plan.call_format).model_dump()
        return AIMessage(**fields, usage_metadata=_usage(len(plan.request.prompt), completion),
                         response_metadata=self._response_metadata(generation, plan.adapter))

    def _last_chunk(self, plan: _Plan, generation: Generation) -> ChatGenerationChunk:
        return ChatGenerationChunk(message=AIMessageChunk(
            content="", chunk_position="last",
            usage_metadata=_usage(len(plan.request.prompt), plan.request.completion),
            response_metadata=self._response_metadata(generation, plan.adapter)))

    def _response_grammar(self, options: CallOptions) -> Grammar | None:
        if options.response_format is None:
            return None
        return grammar_engine(self.tokens).json_schema(options.response_format, "response_format")

    def _completion(self, stop: list[str] | None, options: CallOptions) -> Completion:
        tokens = self.tokens
        return Completion(tokens.tokenizer, tokens.eos_ids, stop or [], options.max_tokens)

    def _request(self, prompt: list[int], completion: Completion, options: CallOptions, grammar: Grammar | None,
                 adapter: str) -> GenerationRequest:
        return GenerationRequest(prompt, completion, options.temperature, options.top_p, options.seed, grammar,
                                 self._adapter_key(adapter))

    def _tokenize(self, text: str) -> list[int]:
        return self.tokens.tokenizer(text, add_special_tokens=False)["input_ids"]

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
        """Generate for many prompts at once (sharing forward passes), one reply each;
        with `response_format` (a JSON Schema) every reply is JSON matching it."""
        options = self._options(
            max_tokens=max_tokens, temperature=temperature, seed=seed, response_format=response_format,
            adapter=adapter,
        )
        answering = self._answering(options, None)
        prompts = [
            self._fit(self.prompt_ids(self._convert_input(i).to_messages()), options.max_tokens)
            for i in inputs
        ]
        grammar = self._response_grammar(options)
        requests = [self._request(p, self._completion(stop, options), options, grammar, answering) for p in prompts]
        return [
            AIMessage(
                content=g.request.completion.text,
                usage_metadata=_usage(len(g.request.prompt), g.request.completion),
                response_metadata=self._response_metadata(g, answering),
            )
            for g in self.backend.run_all(requests)
        ]

    def score_options(self, messages: LanguageModelInput, options: Sequence[str]) -> list[float]:
        """Log-likelihood of each option as the assistant's (whole) next reply."""
        if not options:
            raise ValueError("need at least one option to score")
        prompt = self.prompt_ids(self._convert_input(messages).to_messages())
        continuations = option_ids(self.tokens, options)
        self._fit(prompt, max(map(len, continuations)))
        answering = self._answering(CallOptions(max_tokens=1, temperature=0.0), None)
        return self.backend.score(prompt, continuations, self._adapter_key(answering))

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

    def _response_metadata(self, generation: Generation, adapter: str) -> dict[str, Any]:
        stats = generation.stats
        return {"model_name": self.tokens.name, "adapter": adapter, "engine": self.backend.kind,
                "finish_reason": generation.request.completion.finish_reason,
                **(stats.metadata() if stats is not None else {})}


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

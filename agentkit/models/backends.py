"""Where a local chat model's tokens come from: llama.cpp (a GGUF model, continuous batching
across every caller in the process) or transformers (any HF model; also what training, the
adapter merge and `agentkit generate --show-tokens` use). One backend per model and
process, shared by every `LocalChatModel` of that model."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Literal, Protocol

from agentkit.errors import ConfigError
from agentkit.models.adapters import check_adapter
from agentkit.models.config import EngineKind
from agentkit.models.generation import Generation, GenerationRequest
from agentkit.models.grammar import grammar_engine
from agentkit.models.loading import ModelSource, ModelTokens, resolve_source, shared_model, shared_tokens
PARALLEL_ENV = "AGENTKIT_PARALLEL"
LLAMA_THREADS_ENV = "AGENTKIT_LLAMA_THREADS"


class Backend(Protocol):
    """What a `LocalChatModel` asks of its engine."""

    kind: str
    tokens: ModelTokens

    def adapter_key(self, folder: Path) -> str:
        """Load the adapter in `folder` once (after checking its base); its key for requests."""

    def start(self, request: GenerationRequest, loop: asyncio.AbstractEventLoop | None = None) -> Generation:
        """Begin generating; the handle streams the text."""

    def run_all(self, requests: Sequence[GenerationRequest]) -> list[Generation]:
        """Generate every request (sharing forward passes) and return them finished."""

    def score(self, prompt: Sequence[int], options: Sequence[Sequence[int]], adapter: str | None) -> list[float]:
        """Log-likelihood of each token sequence in `options` after `prompt`."""


def choose_engine(source: ModelSource, engine: EngineKind, quantize: bool) -> Literal["llama_cpp", "transformers"]:
    """`auto`: llama.cpp for a GGUF model when llama-cpp-python is installed and torch's int8
    (`quantize`) was not asked for; transformers otherwise."""
    from agentkit.models.llama.library import available

    if engine == "transformers":
        return "transformers"
    if engine == "llama_cpp":
        if source.kind != "gguf":
            raise ConfigError(
                f"engine llama_cpp runs .gguf files; {source.location!r} is a {source.kind}. Convert it with "
                f"llama.cpp's convert_hf_to_gguf.py, or set engine: transformers")
        if quantize:
            raise ConfigError("`quantize` is the transformers engine's int8; with engine llama_cpp choose a GGUF "
                              "level with `quant:` (e.g. q8_0) instead")
        return "llama_cpp"
    return "llama_cpp" if source.kind == "gguf" and not quantize and available() else "transformers"


class _EngineSettings:
    lock = threading.Lock()
    overrides: dict[str, int] = {}
    quant: str | None = None


def configure_local_engine(quant: str | None = None, **settings: int) -> None:
    """Settings of the llama.cpp engines made from now on (`agentkit serve --parallel`...;
    see `agentkit.models.llama.engine.EngineSettings`), and `quant`: the GGUF level of local
    models that name none (`agentkit serve --quant`, so graphs and the API share one engine)."""
    with _EngineSettings.lock:
        _EngineSettings.overrides.update(settings)
        if quant is not None:
            _EngineSettings.quant = quant


def engine_settings():  # -> EngineSettings (imported lazily: it loads numpy and llama.cpp's types)
    """The settings a new engine gets: configured ones, else `$AGENTKIT_PARALLEL` and
    `$AGENTKIT_LLAMA_THREADS`, else the defaults."""
    from agentkit.models.llama.engine import EngineSettings

    values: dict[str, int] = {}
    for key, env in (("parallel", PARALLEL_ENV), ("threads", LLAMA_THREADS_ENV)):
        text = os.environ.get(env, "").strip()
        if text:
            if not text.isdigit() or int(text) < 1:
                raise ConfigError(f"${env} = {text!r} is not a whole number >= 1; set it to e.g. 4, or unset it")
            values[key] = int(text)
    with _EngineSettings.lock:
        values.update(_EngineSettings.overrides)
    return EngineSettings(**values)


class LlamaBackend:
    """Generation on the process's continuous-batching llama.cpp engine for one GGUF."""

    kind = "llama_cpp"

    def __init__(self, model: str | None, quant: str | None) -> None:
        from agentkit.models.llama.engine import LlamaEngine
        from agentkit.models.llama.files import model_at_level

        self._source = resolve_source(model)
        self.tokens = shared_tokens(model)
        self.model_file = model_at_level(Path(self._source.location), quant)
        self.engine = LlamaEngine(self.model_file, grammar_engine(self.tokens), engine_settings())

    def adapter_key(self, folder: Path) -> str:
        from agentkit.models.llama.files import lora_gguf

        check_adapter(folder, self._source)
        return self.engine.load_adapter(lora_gguf(folder, Path(self._source.location)))

    def start(self, request: GenerationRequest, loop: asyncio.AbstractEventLoop | None = None) -> Generation:
        return self.engine.submit(Generation(request, loop))

    def run_all(self, requests: Sequence[GenerationRequest]) -> list[Generation]:
        handles = [self.start(request) for request in requests]
        for handle in handles:
            for _ in handle.texts():
                pass
        return handles

    def score(self, prompt: Sequence[int], options: Sequence[Sequence[int]], adapter: str | None) -> list[float]:
        from agentkit.models.completion import Completion

        tokens = self.tokens
        requests = [GenerationRequest([*prompt, *option], Completion(tokens.tokenizer, tokens.eos_ids, [], 1),
                                      adapter=adapter, score_from=len(prompt)) for option in options]
        return [handle.score for handle in self.run_all(requests)]


class TransformersBackend:
    """Generation with transformers on the shared model, adapters switched by peft; each
    generation runs in a thread of its own, one forward pass at a time under the adapter lock."""

    kind = "transformers"

    def __init__(self, model: str | None, quantize: bool) -> None:
        from agentkit.models.adapters import host_for

        self.loaded = shared_model(model, quantize)
        self.tokens = self.loaded
        self.host = host_for(self.loaded, model)

    def adapter_key(self, folder: Path) -> str:
        return self.host.load(folder)

    def start(self, request: GenerationRequest, loop: asyncio.AbstractEventLoop | None = None) -> Generation:
        generation = Generation(request, loop)
        threading.Thread(target=self._run, args=(generation,), name="agentkit-generate", daemon=True).start()
        return generation

    def _run(self, generation: Generation) -> None:
        from agentkit.models.transformers_generation import run_generation

        try:
            run_generation(self.loaded, self.host, generation)
        except BaseException as exc:  # the caller sees it when reading the text
            generation.fail(exc)

    def run_all(self, requests: Sequence[GenerationRequest]) -> list[Generation]:
        """One left-padded batch in this thread (the requests share sampling, grammar and adapter)."""
        from agentkit.models.transformers_generation import run_batch

        handles = [Generation(request) for request in requests]
        if handles:
            run_batch(self.loaded, self.host, handles)
        return handles

    def score(self, prompt: Sequence[int], options: Sequence[Sequence[int]], adapter: str | None) -> list[float]:
        from agentkit.models.scoring import continuation_log_likelihoods

        with self.host.use(adapter):
            return continuation_log_likelihoods(self.loaded, prompt, options)


_LOCK = threading.Lock()


def backend_for(model: str | None, engine: EngineKind, quant: str | None, quantize: bool) -> Backend:
    """The process-wide backend of a local model (made on first use)."""
    kind = choose_engine(resolve_source(model), engine, quantize)
    if kind == "llama_cpp" and quant is None:
        quant = _EngineSettings.quant
    if kind == "transformers" and quant is not None:
        raise ConfigError(f"`quant: {quant}` picks a GGUF level for the llama.cpp engine; this model runs on "
                          f"transformers (use `quantize: true` for its int8, or a .gguf model)")
    with _LOCK:
        return _backend(model, kind, quant, quantize)


@cache
def _backend(model: str | None, kind: str, quant: str | None, quantize: bool) -> Backend:
    if kind == "llama_cpp":
        return LlamaBackend(model, quant)
    return TransformersBackend(model, quantize)

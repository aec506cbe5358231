"""Continuous batching on llama.cpp: one engine thread, one context, `parallel` sequences.

Requests wait in a bounded queue and join the running batch between decode steps. Each
step builds one llama.cpp batch per adapter in use (llama.cpp applies LoRA per context, so
sequences with different adapters share the KV cache and the step, not the matmul): a
new sequence's prompt is fed in chunks (so a long prompt does not stall the others), a
running one feeds its last token. Every sequence then picks its own next token from its
own logits: its grammar's mask (llguidance, as in-process), its temperature, top-p and
seed; its `Completion` applies its stop strings, end of turn and `max_tokens`. A finished
or cancelled sequence leaves at once and its KV cells are freed. A failing step fails the
sequences in it, never the engine.
"""

from __future__ import annotations

import atexit
import ctypes
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from agentkit.errors import ConfigError, ContextLengthError
from agentkit.models.generation import Generation, GenerationStats
from agentkit.models.grammar import GrammarEngine
from agentkit.models.llama.library import llama_cpp
from agentkit.models.sampling import pick_token
from agentkit.threads import llama_threads


class EngineSettings(BaseModel):
    """How a llama.cpp engine runs: sequences decoded together, queue bound, threads, and
    the context each sequence gets (None: the model's own window)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    parallel: int = Field(4, ge=1, le=256, description="sequences decoded together")
    max_queue: int = Field(64, ge=0, description="requests waiting for a free sequence before new ones are refused")
    threads: int = Field(default_factory=llama_threads, ge=1, description="llama.cpp threads")
    context: int | None = Field(None, ge=64, description="tokens of context per sequence (default: the model's)")
    batch_tokens: int = Field(512, ge=32, description="tokens one decode step takes at most (prompt chunks)")

    @model_validator(mode="after")
    def _room_for_every_sequence(self) -> EngineSettings:
        if self.batch_tokens < self.parallel:
            raise ValueError(f"batch_tokens ({self.batch_tokens}) must be at least parallel ({self.parallel}): "
                             "every running sequence feeds a token each step")
        return self


class EngineBusy(RuntimeError):
    """The queue is full: try again after `retry_after` seconds."""

    def __init__(self, waiting: int, retry_after: float) -> None:
        super().__init__(f"the model is busy: {waiting} requests are waiting for it; retry after "
                         f"{retry_after:.0f} s")
        self.retry_after = retry_after


class EngineFailure(RuntimeError):
    """llama.cpp failed a step; the sequences in it are ended with this error."""


@dataclass(frozen=True)
class EngineSnapshot:
    """What the engine is doing now (for /metrics and `agentkit serve`)."""

    waiting: int
    running: int
    parallel: int
    steps: int
    generated_tokens: int


@dataclass
class _Sequence:
    seq_id: int
    generation: Generation
    matcher: Any
    rng: np.random.Generator
    fed: int = 0  # prompt tokens already in the KV cache
    position: int = 0
    next_token: int | None = None
    started: float = field(default_factory=time.perf_counter)
    first_token: float | None = None
    batch_sizes: list[int] = field(default_factory=list)
    cpu_s: float = 0.0

    @property
    def prompt(self) -> list[int]:
        return self.generation.request.prompt


class LlamaEngine:
    """The continuous-batching engine over one GGUF model (see the module docstring)."""

    def __init__(self, model_path: Path, grammars: GrammarEngine, settings: EngineSettings) -> None:
        self.model_path = model_path
        self.settings = settings
        self._grammars = grammars
        self._lib = llama_cpp()
        self._model = self._load_model(model_path)
        vocab = self._lib.llama_model_get_vocab(self._model)
        self.vocab_size = int(self._lib.llama_vocab_n_tokens(vocab))
        trained = int(self._lib.llama_model_n_ctx_train(self._model))
        self.context = min(settings.context or trained, trained)
        self._context = self._new_context()
        self._memory = self._lib.llama_get_memory(self._context)
        self._batch = self._lib.llama_batch_init(settings.batch_tokens, 0, 1)
        self._adapters: dict[str, Any] = {}
        self._active_adapter: str | None = None
        self._waiting: deque[Generation] = deque()
        self._running: dict[int, _Sequence] = {}
        self._condition = threading.Condition()
        self._stopping = False
        self._steps = 0
        self._generated = 0
        self._step_seconds = 0.05
        self._closed = False
        self._thread = threading.Thread(target=self._loop, name="agentkit-llama-engine", daemon=True)
        self._thread.start()
        atexit.register(self.close)  # llama.cpp's memory goes before the interpreter's threads do

    def _load_model(self, path: Path) -> Any:
        params = self._lib.llama_model_default_params()
        model = self._lib.llama_model_load_from_file(str(path).encode(), params)
        if not model:
            raise ConfigError(f"llama.cpp could not load {path}; give a complete .gguf file of an architecture "
                              f"llama.cpp supports, or set `engine: transformers`")
        return model

    def _new_context(self) -> Any:
        params = self._lib.llama_context_default_params()
        params.n_seq_max = self.settings.parallel
        params.n_ctx = self.context * self.settings.parallel
        params.n_batch = params.n_ubatch = self.settings.batch_tokens
        params.n_threads = params.n_threads_batch = self.settings.threads
        params.kv_unified = False  # each sequence gets its own `context` cells
        params.no_perf = True
        context = self._lib.llama_init_from_model(self._model, params)
        if not context:
            raise ConfigError(f"llama.cpp could not make a context of {self.settings.parallel} x {self.context} "
                              f"tokens for {self.model_path}; lower --parallel or the context")
        return context

    # -- the caller's side -------------------------------------------------------------

    def load_adapter(self, path: Path) -> str:
        """Load a GGUF LoRA once; its key for `GenerationRequest.adapter`."""
        key = str(path)
        with self._condition:
            if key not in self._adapters:
                adapter = self._lib.llama_adapter_lora_init(self._model, key.encode())
                if not adapter:
                    raise ConfigError(f"llama.cpp could not load the LoRA adapter {path}; it must be made "
                                      f"for this base model")
                self._adapters[key] = adapter
        return key

    def submit(self, generation: Generation) -> Generation:
        """Queue a generation (EngineBusy when `max_queue` are already waiting)."""
        request = generation.request
        needed = len(request.prompt) + request.completion.max_tokens
        if needed > self.context:
            raise ContextLengthError(self.model_path.stem, len(request.prompt), request.completion.max_tokens,
                                     self.context)
        if not request.prompt:
            raise ValueError("a generation needs a prompt of at least one token")
        if request.adapter is not None and request.adapter not in self._adapters:
            raise ConfigError(f"adapter {request.adapter} is not loaded into this engine; load_adapter it first")
        with self._condition:
            if self._stopping:
                raise EngineFailure("the engine is shutting down")
            free = self.settings.parallel - len(self._running)
            if len(self._waiting) >= self.settings.max_queue + max(free, 0):
                raise EngineBusy(len(self._waiting), self._retry_after())
            self._waiting.append(generation)
            self._condition.notify()
        return generation

    def snapshot(self) -> EngineSnapshot:
        with self._condition:
            return EngineSnapshot(len(self._waiting), len(self._running), self.settings.parallel, self._steps,
                                  self._generated)

    def close(self) -> None:
        """Fail what is still queued or running, stop the thread and free llama.cpp's memory."""
        with self._condition:
            if self._closed:
                return
            self._closed = self._stopping = True
            self._condition.notify()
        self._thread.join(timeout=30)
        for adapter in self._adapters.values():
            self._lib.llama_adapter_lora_free(adapter)
        self._lib.llama_batch_free(self._batch)
        self._lib.llama_free(self._context)
        self._lib.llama_model_free(self._model)

    def _retry_after(self) -> float:
        """Seconds until the queue is likely to have room: a queue's worth of steps."""
        return max(1.0, round(self._step_seconds * 64))

    # -- the engine thread ---------------------------------------------------------------

    def _loop(self) -> None:
        while True:
            with self._condition:
                while not self._stopping and not self._waiting and not self._running:
                    self._condition.wait()
                if self._stopping:
                    break
                self._admit()
                sequences = list(self._running.values())
            started = time.perf_counter()
            self._step(sequences)
            self._step_seconds = 0.9 * self._step_seconds + 0.1 * (time.perf_counter() - started)
        error = EngineFailure("the engine shut down before this generation finished")
        for sequence in list(self._running.values()):
            sequence.generation.fail(error)
        for generation in self._waiting:
            generation.fail(error)

    def _admit(self) -> None:
        """Move waiting generations into free sequences, dropping cancelled ones from the
        queue (the caller holds the condition)."""
        for generation in [g for g in self._waiting if g.cancelled]:
            self._waiting.remove(generation)
            generation.finish(GenerationStats.of(generation, "cancelled"))
        free = [seq_id for seq_id in range(self.settings.parallel) if seq_id not in self._running]
        while free and self._waiting:
            generation = self._waiting.popleft()
            request = generation.request
            try:
                matcher = None if request.grammar is None else self._grammars.matcher(request.grammar)
            except Exception as exc:  # a grammar llguidance refuses ends this request only
                generation.fail(exc)
                continue
            seq_id = free.pop(0)
            self._running[seq_id] = _Sequence(seq_id, generation, matcher, np.random.default_rng(request.seed))

    def _step(self, sequences: list[_Sequence]) -> None:
        """One decode step of every running sequence, grouped by adapter."""
        for sequence in sequences:
            if sequence.generation.cancelled:
                self._end(sequence, "cancelled")
        groups: dict[str | None, list[_Sequence]] = {}
        for sequence in sequences:
            if sequence.seq_id in self._running:
                groups.setdefault(sequence.generation.request.adapter, []).append(sequence)
        budget = self.settings.batch_tokens
        for adapter, members in groups.items():
            try:
                budget = self._decode_group(adapter, members, budget)
            except Exception as exc:  # llama.cpp or a matcher failed: these sequences end, the engine goes on
                failure = exc if isinstance(exc, EngineFailure) else EngineFailure(f"generation failed: {exc!r}")
                for sequence in members:
                    if sequence.seq_id in self._running:
                        self._drop(sequence)
                        sequence.generation.fail(failure)
        with self._condition:
            self._steps += 1

    def _decode_group(self, adapter: str | None, members: list[_Sequence], budget: int) -> int:
        """Feed `members` (one adapter) in one llama.cpp batch, then pick their tokens; the
        prompt-token budget left for other groups."""
        self._use_adapter(adapter)
        batch, outputs = self._batch, []
        batch.n_tokens = 0
        for sequence in members:  # running sequences first: one token each
            if sequence.next_token is not None:
                outputs.append((sequence, self._add(sequence, sequence.next_token, True)))
                sequence.next_token = None
        scored: list[tuple[_Sequence, int, int]] = []  # (sequence, batch index, the token it predicts)
        for sequence in members:  # then prompt chunks, as far as the budget goes
            remaining = len(sequence.prompt) - sequence.fed
            score_from = sequence.generation.request.score_from
            take = min(remaining, budget - batch.n_tokens) if remaining > 0 else 0
            for _ in range(take):
                at = sequence.fed
                last = at + 1 == len(sequence.prompt)
                scoring = score_from is not None and score_from - 1 <= at
                index = self._add(sequence, sequence.prompt[at], last or scoring)
                sequence.fed += 1
                if scoring and not last:
                    scored.append((sequence, index, sequence.prompt[at + 1]))
                elif last:
                    outputs.append((sequence, index))
        if batch.n_tokens == 0:
            return budget
        started = time.perf_counter()
        status = self._lib.llama_decode(self._context, batch)
        if status != 0:
            raise EngineFailure(f"llama.cpp decode failed (status {status})")
        self._charge(members, time.perf_counter() - started)
        self._score(scored)
        self._pick(outputs)
        return max(0, budget - batch.n_tokens)

    def _charge(self, members: list[_Sequence], seconds: float) -> None:
        """Share a decode's CPU time among its sequences by the tokens each put in the batch."""
        counts: dict[int, int] = {}
        for index in range(self._batch.n_tokens):
            counts[self._batch.seq_id[index][0]] = counts.get(self._batch.seq_id[index][0], 0) + 1
        for sequence in members:
            sequence.cpu_s += seconds * self.settings.threads * counts.get(sequence.seq_id, 0) / self._batch.n_tokens

    def _logits(self, index: int) -> np.ndarray:
        return np.ctypeslib.as_array(self._lib.llama_get_logits_ith(self._context, index), shape=(self.vocab_size,))

    def _score(self, scored: list[tuple[_Sequence, int, int]]) -> None:
        """Add each predicted token's log-probability to its scoring sequence."""
        for sequence, index, token in scored:
            logits = self._logits(index).astype(np.float64)
            top = logits.max()
            sequence.generation.score += float(logits[token] - top - np.log(np.exp(logits - top).sum()))

    def _add(self, sequence: _Sequence, token: int, logits: bool) -> int:
        batch, index = self._batch, self._batch.n_tokens
        batch.token[index] = token
        batch.pos[index] = sequence.position
        batch.n_seq_id[index] = 1
        batch.seq_id[index][0] = sequence.seq_id
        batch.logits[index] = logits
        batch.n_tokens = index + 1
        sequence.position += 1
        return index

    def _pick(self, outputs: list[tuple[_Sequence, int]]) -> None:
        """Each sequence's next token from its logits, under its grammar, into its completion."""
        finished = [s for s, _ in outputs if s.generation.request.score_from is not None]
        for sequence in finished:  # a scoring sequence ends with its prompt
            self._end(sequence, "stop")
        outputs = [(s, i) for s, i in outputs if s.generation.request.score_from is None]
        rows = {id(s): self._logits(i) for s, i in outputs}
        constrained = [s for s, _ in outputs if s.matcher is not None]
        self._grammars.mask_rows([s.matcher for s in constrained], [rows[id(s)] for s in constrained])
        now = time.perf_counter()
        for sequence, _ in outputs:
            request = sequence.generation.request
            token = pick_token(rows[id(sequence)], request.temperature, request.top_p, sequence.rng)
            if sequence.matcher is not None and not sequence.matcher.is_stopped():
                if not sequence.matcher.consume_token(token):
                    raise EngineFailure(f"grammar rejected token {token}: {sequence.matcher.get_error()}")
            sequence.first_token = sequence.first_token or now
            sequence.batch_sizes.append(len(outputs))
            text = request.completion.add(token)
            if text:
                sequence.generation.emit_text(text)
            if request.completion.finished:
                self._end(sequence, request.completion.finish_reason or "stop")
            else:
                sequence.next_token = token
        with self._condition:
            self._generated += len(outputs)

    def _use_adapter(self, adapter: str | None) -> None:
        if adapter == self._active_adapter:
            return
        if adapter is None:
            status = self._lib.llama_set_adapters_lora(self._context, None, 0, None)
        else:
            adapters = (self._lib.llama_adapter_lora_p_ctypes * 1)(self._adapters[adapter])
            status = self._lib.llama_set_adapters_lora(self._context, adapters, 1, (ctypes.c_float * 1)(1.0))
        if status != 0:
            raise EngineFailure(f"llama.cpp could not switch to adapter {adapter} (status {status})")
        self._active_adapter = adapter

    def _end(self, sequence: _Sequence, reason: str) -> None:
        self._drop(sequence)
        stats = GenerationStats.of(sequence.generation, reason, sequence.started, sequence.first_token,
                                   sequence.batch_sizes, sequence.cpu_s)
        sequence.generation.finish(stats)

    def _drop(self, sequence: _Sequence) -> None:
        self._lib.llama_memory_seq_rm(self._memory, sequence.seq_id, -1, -1)
        with self._condition:
            self._running.pop(sequence.seq_id, None)


"""One generation request and its handle: what to generate, the text as it becomes final,
and when each stage happened (queue wait, first token, end) for telemetry."""

from __future__ import annotations

import asyncio
import queue
import threading
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from agentkit.models.completion import Completion
from agentkit.models.grammar import Grammar

FinishReason = Literal["stop", "length", "cancelled"]


@dataclass
class GenerationRequest:
    """Generate after `prompt` into `completion` (which holds stop strings, end-of-turn ids
    and `max_tokens`), sampling as given, under `grammar` if any, with `adapter` (an
    engine's adapter key; None: the base model). With `score_from`, nothing is generated:
    the log-likelihood of `prompt[score_from:]` after `prompt[:score_from]` is measured
    (`Generation.score`)."""

    prompt: list[int]
    completion: Completion
    temperature: float = 0.0
    top_p: float = 1.0
    seed: int | None = None
    grammar: Grammar | None = None
    adapter: str | None = None
    score_from: int | None = None


@dataclass(frozen=True)
class GenerationStats:
    """Token counts and timings (seconds) of a finished generation."""

    prompt_tokens: int
    completion_tokens: int
    finish_reason: FinishReason
    queue_s: float
    first_token_s: float | None
    total_s: float
    batch_size: float  # mean number of sequences in the forward passes this one took part in
    cpu_s: float = 0.0  # CPU time of its share of those passes (threads x time x its share of the tokens)

    @classmethod
    def of(cls, generation: Generation, reason: str, started: float | None = None,
           first_token: float | None = None, batch_sizes: Sequence[int] = (), cpu_s: float = 0.0) -> GenerationStats:
        """The stats of `generation` ending now for `reason`; `started`: when it left the queue."""
        now, request = time.perf_counter(), generation.request
        return cls(
            prompt_tokens=len(request.prompt),
            completion_tokens=request.completion.token_count,
            finish_reason=reason,  # type: ignore[arg-type]
            queue_s=(now if started is None else started) - generation.submitted,
            first_token_s=None if first_token is None else first_token - generation.submitted,
            total_s=now - generation.submitted,
            batch_size=sum(batch_sizes) / len(batch_sizes) if batch_sizes else 0.0,
            cpu_s=cpu_s,
        )

    def metadata(self) -> dict[str, Any]:
        """As response metadata (what telemetry reads from a model reply)."""
        return {"queue_s": self.queue_s, "first_token_s": self.first_token_s, "total_s": self.total_s,
                "batch_size": self.batch_size, "cpu_s": self.cpu_s}


@dataclass(frozen=True)
class _Finished:
    stats: GenerationStats


@dataclass(frozen=True)
class _Failed:
    error: BaseException


@dataclass
class Generation:
    """The handle of a submitted request: iterate `texts()` (or `async_texts()` when made with
    `loop`) for the text as it becomes final; `cancel()` frees its slot at the next step;
    `stats` (and, for a scoring request, `score`) are set once it finished."""

    request: GenerationRequest
    loop: asyncio.AbstractEventLoop | None = None
    submitted: float = field(default_factory=time.perf_counter)
    stats: GenerationStats | None = None
    score: float = 0.0
    _cancelled: threading.Event = field(default_factory=threading.Event)
    _events: Any = None
    _ended: bool = False

    def __post_init__(self) -> None:
        self._events = asyncio.Queue() if self.loop is not None else queue.SimpleQueue()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def cancel(self) -> None:
        """Stop generating (the engine notices at its next step)."""
        self._cancelled.set()

    def emit_text(self, text: str) -> None:
        """Engine side: newly final text."""
        self._put(text)

    def finish(self, stats: GenerationStats) -> None:
        """Engine side: the generation ended."""
        self.stats = stats
        self._put(_Finished(stats))

    def fail(self, error: BaseException) -> None:
        """Engine side: the generation could not go on."""
        self._put(_Failed(error))

    def _put(self, event: Any) -> None:
        if self.loop is None:
            self._events.put(event)
        else:
            try:
                self.loop.call_soon_threadsafe(self._events.put_nowait, event)
            except RuntimeError:  # the event loop closed: nobody is listening any more
                self.cancel()

    def texts(self) -> Iterator[str]:
        """The text pieces until the end (raises what made the generation fail); leaving
        the loop early cancels the generation."""
        try:
            while (text := self._text(self._events.get())) is not None:
                yield text
        finally:
            self._cancel_unless_finished()

    async def async_texts(self) -> AsyncIterator[str]:
        """As `texts()`, for a handle made with `loop`."""
        try:
            while (text := self._text(await self._events.get())) is not None:
                yield text
        finally:
            self._cancel_unless_finished()

    def _text(self, event: Any) -> str | None:
        """A text event's text; None at the end; raises a failure."""
        if isinstance(event, _Failed):
            self._ended = True
            raise event.error
        if isinstance(event, _Finished):
            self._ended = True
            return None
        return event

    def _cancel_unless_finished(self) -> None:
        if not self._ended:
            self.cancel()

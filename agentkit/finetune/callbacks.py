"""Trainer callbacks: progress events for a front end, Ctrl-C as "checkpoint and stop",
and one Phoenix span per eval."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any, Protocol

from transformers import TrainerCallback, TrainerControl, TrainerState, TrainingArguments


class Observer(Protocol):
    """What a front end (the CLI's progress bar) hears about a run."""

    def start(self, total_steps: int, first_step: int) -> None: ...
    def step(self, step: int, loss: float | None, tokens_per_s: float | None) -> None: ...
    def evaluated(self, step: int, eval_loss: float) -> None: ...
    def log(self, message: str) -> None: ...
    def stop(self) -> None: ...


class SilentObserver:
    """An observer that ignores everything (library use, benches)."""

    def start(self, total_steps: int, first_step: int) -> None: ...
    def step(self, step: int, loss: float | None, tokens_per_s: float | None) -> None: ...
    def evaluated(self, step: int, eval_loss: float) -> None: ...
    def log(self, message: str) -> None: ...
    def stop(self) -> None: ...


class ProgressCallback(TrainerCallback):
    """Forward steps (loss, tokens/s) and eval losses to an Observer."""

    def __init__(self, observer: Observer):
        self.observer = observer
        self.loss: float | None = None
        self.rate: float | None = None
        self._mark: tuple[float, int] | None = None

    def on_train_begin(self, args: TrainingArguments, state: TrainerState, control: TrainerControl,
                       **kwargs: Any) -> None:
        self._mark = (time.perf_counter(), state.num_input_tokens_seen)
        self.observer.start(state.max_steps, state.global_step)

    def on_step_end(self, args: TrainingArguments, state: TrainerState, control: TrainerControl,
                    **kwargs: Any) -> None:
        now, tokens = time.perf_counter(), state.num_input_tokens_seen
        if self._mark is not None and now > self._mark[0]:
            self.rate = (tokens - self._mark[1]) / (now - self._mark[0])
        self._mark = (now, tokens)

    def on_log(self, args: TrainingArguments, state: TrainerState, control: TrainerControl,
               logs: dict[str, float] | None = None, **kwargs: Any) -> None:
        if logs and "loss" in logs:
            self.loss = float(logs["loss"])
            self.observer.step(state.global_step, self.loss, self.rate)

    def on_evaluate(self, args: TrainingArguments, state: TrainerState, control: TrainerControl,
                    metrics: dict[str, float] | None = None, **kwargs: Any) -> None:
        if metrics and "eval_loss" in metrics:
            self.observer.evaluated(state.global_step, float(metrics["eval_loss"]))


class InterruptCallback(TrainerCallback):
    """After a Ctrl-C, finish the current step, write a checkpoint and stop."""

    def __init__(self) -> None:
        self.requested = False

    def on_step_end(self, args: TrainingArguments, state: TrainerState, control: TrainerControl,
                    **kwargs: Any) -> None:
        if self.requested:
            control.should_save = True
            control.should_training_stop = True


@contextmanager
def catch_sigint(callback: InterruptCallback, observer: Observer) -> Iterator[None]:
    """The first Ctrl-C asks `callback` to stop after a checkpoint; a second one aborts."""

    def handler(signum: int, frame: FrameType | None) -> None:
        if callback.requested:
            raise KeyboardInterrupt
        callback.requested = True
        observer.log("interrupted: finishing this step and writing a checkpoint "
                     "(Ctrl-C again to abort without one)")

    try:
        previous = signal.signal(signal.SIGINT, handler)
    except ValueError:  # not the main thread: no signal handling
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


class EvalSpanCallback(TrainerCallback):
    """One span per eval (step, eval loss, latest train loss) under the run's span."""

    def __init__(self, tracer: Any, parent: Any):
        self.tracer, self.parent = tracer, parent
        self.loss: float | None = None

    def on_log(self, args: TrainingArguments, state: TrainerState, control: TrainerControl,
               logs: dict[str, float] | None = None, **kwargs: Any) -> None:
        if logs and "loss" in logs:
            self.loss = float(logs["loss"])

    def on_evaluate(self, args: TrainingArguments, state: TrainerState, control: TrainerControl,
                    metrics: dict[str, float] | None = None, **kwargs: Any) -> None:
        from opentelemetry import trace

        if not metrics or "eval_loss" not in metrics:
            return
        context = trace.set_span_in_context(self.parent)
        with self.tracer.start_as_current_span("finetune.eval", context=context) as span:
            span.set_attribute("openinference.span.kind", "EVALUATOR")
            span.set_attribute("finetune.step", state.global_step)
            span.set_attribute("finetune.epoch", float(state.epoch or 0.0))
            span.set_attribute("finetune.eval_loss", float(metrics["eval_loss"]))
            if self.loss is not None:
                span.set_attribute("finetune.train_loss", self.loss)

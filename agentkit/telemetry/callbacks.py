"""A LangChain callback handler that records every chat model call of a run (graph nodes,
tools that call models, `agentkit ask`) and sums them up for the run's own record."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.outputs import LLMResult

from agentkit.models.naming import model_id
from agentkit.telemetry.records import PROMPT_KEY, PROMPT_VERSION_KEY, CallRecord
from agentkit.telemetry.sink import Telemetry


@dataclass
class _Call:
    started: float
    model: str
    prompt: str
    prompt_version: str
    first_token: float | None = None


@dataclass
class RunTotals:
    """What the model calls of one run added up to."""

    input_tokens: int = 0
    output_tokens: int = 0
    cost: float = 0.0
    calls: int = 0
    first_token_at: float | None = None  # perf_counter time of the run's first generated token
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)


class TelemetryCallback(BaseCallbackHandler):
    """Records each chat model call into `telemetry` as a `model` record of `graph`."""

    run_inline = True  # on the calling thread: start/end times are the model's own

    def __init__(self, telemetry: Telemetry, *, graph: str = "", source: str = "", key: str = "") -> None:
        self.telemetry, self.graph, self.source, self.key = telemetry, graph, source, key
        self.totals = RunTotals()
        self._calls: dict[UUID, _Call] = {}

    def on_chat_model_start(self, serialized: dict[str, Any], messages: list[list[Any]], *, run_id: UUID,
                            metadata: dict[str, Any] | None = None, invocation_params: dict[str, Any] | None = None,
                            **kwargs: Any) -> None:
        metadata = metadata or {}
        params = invocation_params or {}
        name = str(metadata.get("ls_model_name") or params.get("model_name") or params.get("model") or "")
        self._calls[run_id] = _Call(time.perf_counter(), name, str(metadata.get(PROMPT_KEY, "")),
                                    str(metadata.get(PROMPT_VERSION_KEY, "")))

    def on_llm_new_token(self, token: str, *, run_id: UUID, **kwargs: Any) -> None:
        call = self._calls.get(run_id)
        if call is not None and call.first_token is None:
            call.first_token = time.perf_counter()

    def on_llm_end(self, response: LLMResult, *, run_id: UUID, **kwargs: Any) -> None:
        call = self._calls.pop(run_id, None)
        if call is None:
            return
        message = getattr(response.generations[0][0], "message", None) if response.generations else None
        usage = (getattr(message, "usage_metadata", None) or {}) if message is not None else {}
        meta = (getattr(message, "response_metadata", None) or {}) if message is not None else {}
        first = meta.get("first_token_s")
        if first is None and call.first_token is not None:
            first = call.first_token - call.started
        adapter = str(meta.get("adapter", ""))
        name = model_id(str(meta.get("model_name") or call.model))
        self._record(call, CallRecord(
            kind="model", model=name if adapter in ("", "base") else f"{name}:{adapter}", adapter=adapter,
            input_tokens=int(usage.get("input_tokens", 0)), output_tokens=int(usage.get("output_tokens", 0)),
            first_token_s=first, queue_s=float(meta.get("queue_s") or 0.0), cpu_s=float(meta.get("cpu_s") or 0.0),
            batch_size=float(meta.get("batch_size") or 0.0)))

    def on_llm_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        call = self._calls.pop(run_id, None)
        if call is not None:
            self._record(call, CallRecord(kind="model", model=model_id(call.model), status="error"))

    def _record(self, call: _Call, record: CallRecord) -> None:
        record.latency_s = time.perf_counter() - call.started
        record.graph, record.source, record.key = self.graph, self.source, self.key
        record.prompt, record.prompt_version = call.prompt, call.prompt_version
        self.telemetry.record(record)
        with self.totals.lock:
            self.totals.calls += 1
            self.totals.input_tokens += record.input_tokens
            self.totals.output_tokens += record.output_tokens
            self.totals.cost += record.cost
            if record.first_token_s is not None:
                at = call.started + record.first_token_s
                self.totals.first_token_at = min(at, self.totals.first_token_at or at)

    def first_token_s(self, started: float) -> float | None:
        """Seconds from `started` (a perf_counter time) to the run's first generated token."""
        at = self.totals.first_token_at
        return None if at is None else max(0.0, at - started)

"""A training run as a Phoenix trace: one root span for the run, one child span per eval."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any


@dataclass
class RunTrace:
    """The tracer and the open run span (eval spans are its children)."""

    tracer: Any
    span: Any


@contextmanager
def traced_run(project: str, name: str, settings: dict[str, Any],
               endpoint: str | None = None) -> Iterator[RunTrace | None]:
    """Yield a RunTrace exporting to Phoenix project `project`, or None when Phoenix does
    not answer (the run goes on untraced). The run span ends, and is flushed, on exit."""
    from agentkit.observability.tracing import FLUSH_TIMEOUT_MS, phoenix_tracer_provider

    provider = phoenix_tracer_provider(project, endpoint, batch=False)
    if provider is None:
        yield None
        return
    tracer = provider.get_tracer("agentkit.finetune")
    try:
        with tracer.start_as_current_span(f"finetune {name}") as span:
            span.set_attribute("openinference.span.kind", "CHAIN")
            span.set_attribute("input.value", json.dumps(settings, default=str))
            span.set_attribute("input.mime_type", "application/json")
            yield RunTrace(tracer, span)
    finally:
        provider.force_flush(FLUSH_TIMEOUT_MS)
        provider.shutdown()

"""A training run as a Phoenix trace: one root span for the run, one child span per eval."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from agentkit.observability.headers import exporter_headers
from agentkit.observability.phoenix import is_healthy, phoenix_endpoint

HEALTH_TIMEOUT = 0.5
FLUSH_TIMEOUT_MS = 5_000


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
    from openinference.instrumentation import TracerProvider
    from openinference.semconv.resource import ResourceAttributes
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    url = (endpoint or phoenix_endpoint()).rstrip("/").removesuffix("/v1/traces")
    if not is_healthy(url, HEALTH_TIMEOUT):
        yield None
        return
    provider = TracerProvider(resource=Resource.create({ResourceAttributes.PROJECT_NAME: project}))
    provider.add_span_processor(SimpleSpanProcessor(
        OTLPSpanExporter(endpoint=f"{url}/v1/traces", headers=exporter_headers(), timeout=3.0)))
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

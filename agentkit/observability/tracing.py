"""Send LangChain/LangGraph runs to Phoenix as OpenInference spans, or warn once and go on.

The provider is built like ``phoenix.otel.register(endpoint=URL/v1/traces, project_name=...,
batch=True, set_global_tracer_provider=False)`` but from its parts: importing ``phoenix.otel``
imports the whole Phoenix server package (~6 s), these parts ~0.15 s. Spans are batched:
a 5-span graph run costs ~4 ms with a BatchSpanProcessor and ~50 ms with a
SimpleSpanProcessor (one blocking HTTP POST per span); ``flush_traces`` (also run at exit)
sends what is queued. Exports carry ``PHOENIX_API_KEY`` and ``PHOENIX_CLIENT_HEADERS``
(see :mod:`agentkit.observability.headers`), as phoenix.otel's do.
"""

from __future__ import annotations

import atexit
import logging
import threading
import warnings
from typing import Literal

from openinference.instrumentation import TracerProvider
from openinference.instrumentation.langchain import LangChainInstrumentor
from openinference.semconv.resource import ResourceAttributes
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

from agentkit.errors import ConfigError
from agentkit.observability.headers import exporter_headers
from agentkit.observability.phoenix import is_healthy, phoenix_endpoint

HEALTH_TIMEOUT = 0.5  # seconds for the reachability check
FLUSH_TIMEOUT_MS = 5_000
# Per export request, retries included (OTel's default is 10 s): bounds how long a process
# that outlives its Phoenix waits at exit. A local Phoenix answers in milliseconds.
EXPORT_TIMEOUT = 3.0
_log = logging.getLogger(__name__)
# openinference calls the deprecated `message.text()`; the warning is theirs, not the user's.
warnings.filterwarnings("ignore", message=r"Calling \.text\(\) as a method", module=r"openinference\.")


class _TracingState:
    """What this process traces to; one instance, guarded by ``lock``."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.provider: TracerProvider | None = None
        self.project: str | None = None
        self.url: str | None = None
        self.headers: dict[str, str] | None = None
        self.warned = False
        self.atexit_registered = False


_state = _TracingState()


def enable_tracing(project_name: str, endpoint: str | None = None) -> bool:
    """Trace LangChain/LangGraph runs of this process into Phoenix project ``project_name``.

    ``endpoint`` is the Phoenix base URL (default :func:`phoenix_endpoint`). Returns False,
    after one warning per process, if Phoenix does not answer ``/healthz`` within
    ``HEALTH_TIMEOUT``; runs then go untraced. Calling again with another project switches
    to it; with the same project, endpoint and headers it does nothing. A malformed
    ``PHOENIX_CLIENT_HEADERS`` or ``PHOENIX_API_KEY`` is a ConfigError.
    """
    if not project_name.strip():
        raise ConfigError(
            "enable_tracing(): project_name is empty; pass a name such as the graph's name"
        )
    url = phoenix_base_url(endpoint)
    headers = exporter_headers()
    with _state.lock:
        wanted = (project_name, url, headers)
        if _state.provider is not None and (_state.project, _state.url, _state.headers) == wanted:
            return True
        _disable_locked()
        provider = phoenix_tracer_provider(project_name, url, headers=headers)
        if provider is None:
            if not _state.warned:
                _state.warned = True
                _log.warning(
                    "Phoenix not reachable at %s — start it with `agentkit phoenix`; "
                    "continuing without traces",
                    url,
                )
            return False
        # A graph run is always a root span in Phoenix, even inside a span of another
        # tracer (a web framework's, pytest's): that parent would never reach Phoenix.
        LangChainInstrumentor().instrument(
            tracer_provider=provider, separate_trace_from_runtime_context=True
        )
        _state.provider, _state.project, _state.url, _state.headers = provider, project_name, url, headers
        if not _state.atexit_registered:
            atexit.register(flush_traces)
            _state.atexit_registered = True
    return True


def flush_traces(timeout_millis: int = FLUSH_TIMEOUT_MS) -> bool:
    """Export every finished span now; True if there was nothing to do or it succeeded."""
    provider = _state.provider
    return provider.force_flush(timeout_millis) if provider is not None else True


def disable_tracing() -> None:
    """Flush, stop instrumenting LangChain and shut the exporter down."""
    with _state.lock:
        _disable_locked()


def tracing_project() -> str | None:
    """The Phoenix project spans currently go to, or None when tracing is off."""
    return _state.project


def _disable_locked() -> None:
    instrumentor = LangChainInstrumentor()
    if instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.uninstrument()
    if _state.provider is not None:
        _state.provider.force_flush(FLUSH_TIMEOUT_MS)
        _state.provider.shutdown()
    _state.provider = _state.project = _state.url = _state.headers = None


def phoenix_base_url(endpoint: str | None = None) -> str:
    """The Phoenix base URL: ``endpoint`` (default :func:`phoenix_endpoint`) without a
    trailing ``/`` or ``/v1/traces``."""
    return (endpoint or phoenix_endpoint()).rstrip("/").removesuffix("/v1/traces")


def phoenix_tracer_provider(
    project_name: str, endpoint: str | None = None, *,
    headers: dict[str, str] | None | Literal["env"] = "env", batch: bool = True,
) -> TracerProvider | None:
    """A TracerProvider exporting to Phoenix project ``project_name`` at ``endpoint``
    (default :func:`phoenix_endpoint`), or None if Phoenix does not answer ``/healthz``
    within ``HEALTH_TIMEOUT``. ``headers`` default to :func:`exporter_headers`; with
    ``batch=False`` every span is sent when it ends (SimpleSpanProcessor). The caller
    flushes and shuts it down; it is not installed globally."""
    url = phoenix_base_url(endpoint)
    if not is_healthy(url, HEALTH_TIMEOUT):
        return None
    provider = TracerProvider(
        resource=Resource.create({ResourceAttributes.PROJECT_NAME: project_name})
    )
    exporter = OTLPSpanExporter(endpoint=f"{url}/v1/traces", timeout=EXPORT_TIMEOUT,
                                headers=exporter_headers() if headers == "env" else headers)
    provider.add_span_processor(BatchSpanProcessor(exporter) if batch else SimpleSpanProcessor(exporter))
    return provider

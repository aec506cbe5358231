"""Extra attributes on traced spans: for a block of code, or for the running node's span."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

from openinference.instrumentation import using_attributes
from openinference.instrumentation.langchain import LangChainInstrumentor, get_current_span
from opentelemetry.util.types import AttributeValue


def span_attributes(
    *,
    prompt_version: str = "",
    prompt_template: str = "",
    prompt_variables: Mapping[str, Any] | None = None,
    metadata: Mapping[str, Any] | None = None,
    tags: Sequence[str] = (),
    session_id: str = "",
    user_id: str = "",
) -> using_attributes:
    """Context manager (or decorator): LangChain spans that *end* inside it carry these.

    E.g. ``with span_attributes(prompt_version="v3"): model.invoke(msgs)`` puts
    ``llm.prompt_template.version = "v3"`` on that LLM span. ``metadata`` is merged into the
    span's ``metadata`` (LangChain run metadata wins on equal keys). Harmless when tracing is off.
    """
    return using_attributes(
        prompt_template_version=prompt_version,
        prompt_template=prompt_template,
        prompt_template_variables=dict(prompt_variables) if prompt_variables else None,
        metadata=dict(metadata) if metadata else None,
        tags=list(tags) or None,
        session_id=session_id,
        user_id=user_id,
    )


def set_current_span_attributes(attributes: Mapping[str, AttributeValue]) -> bool:
    """Set attributes on the span of the LangChain run executing now (inside a graph node:
    the node's CHAIN span). False when there is none, e.g. tracing is off."""
    if not LangChainInstrumentor().is_instrumented_by_opentelemetry:
        return False  # get_current_span() would print a hint to stdout
    span = get_current_span()
    if span is None or not span.is_recording():
        return False
    span.set_attributes(dict(attributes))
    return True


def set_run_span_attributes(run_id: UUID, attributes: Mapping[str, AttributeValue]) -> bool:
    """Set attributes on the span of the LangChain run `run_id` (e.g. a chat model's own
    run, from inside `_generate`). False when tracing is off or the run has no span."""
    instrumentor = LangChainInstrumentor()
    if not instrumentor.is_instrumented_by_opentelemetry:
        return False
    span = instrumentor.get_span(run_id)
    if span is None or not span.is_recording():
        return False
    span.set_attributes(dict(attributes))
    return True

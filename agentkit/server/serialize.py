"""Graph state as JSON: messages as LangChain message dicts (as LangGraph Server sends
them), documents, pydantic models, interrupts; anything else as its text."""

from __future__ import annotations

from typing import Any

from langchain_core.documents import Document
from langchain_core.messages import BaseMessage
from langgraph.types import Interrupt
from pydantic import BaseModel


def jsonable(value: Any) -> Any:
    """`value` made of JSON types only."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, BaseMessage):
        return value.model_dump(mode="json", exclude={"additional_kwargs"} if not value.additional_kwargs else None)
    if isinstance(value, Document):
        return {"page_content": value.page_content, "metadata": jsonable(value.metadata), "id": value.id}
    if isinstance(value, Interrupt):
        return {"value": jsonable(value.value), "id": value.id}
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, dict):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [jsonable(item) for item in value]
    return str(value)

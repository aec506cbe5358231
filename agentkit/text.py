"""Text out of state values, and `{channel}` templates over state."""

from __future__ import annotations

from string import Formatter
from typing import Any

from langchain_core.documents import Document
from langchain_core.messages import BaseMessage, HumanMessage


def template_fields(template: str) -> list[str]:
    """The `{channel}` names a template reads; ValueError if its braces are malformed."""
    return [field.split(".")[0].split("[")[0] for _, field, _, _ in Formatter().parse(template) if field]


def render(template: str, state: dict[str, Any]) -> str:
    """Fill `{channel}` placeholders with the text of those state values."""
    return template.format_map({name: text_of(state.get(name)) for name in template_fields(template)})


def text_of(value: Any) -> str:
    """Plain text of a state value: the last human message of a conversation,
    a document's content, or `str()` of anything else."""
    if value is None:
        return ""
    if isinstance(value, BaseMessage):
        return value.text
    if isinstance(value, Document):
        return value.page_content
    if isinstance(value, list) and value and all(isinstance(v, BaseMessage) for v in value):
        human = [m for m in value if isinstance(m, HumanMessage)]
        return (human or value)[-1].text
    if isinstance(value, list) and all(isinstance(v, Document) for v in value):
        return "\n\n".join(v.page_content for v in value)
    return str(value)

"""A prompt: system message, few-shot examples, user template, optional output schema."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from pydantic import BaseModel, ConfigDict, Field

from agentkit.text import template_fields

VERSION_LENGTH = 12
NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_\-]*$"


class Example(BaseModel):
    """One few-shot turn: what the user says and what the assistant answers."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    user: str
    assistant: str


class Prompt(BaseModel):
    """The content of a prompt file; its version is a hash of that content."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=NAME_PATTERN)
    label: str | None = Field(None, description="a human name for this version, e.g. v2")
    description: str | None = None
    system: str | None = Field(None, description="system message template")
    examples: list[Example] = Field(default_factory=list, description="few-shot turns")
    template: str | None = Field(None, description="user message template with {channel} placeholders")
    output_schema: dict[str, Any] | None = Field(None, description="JSON Schema the reply must match")

    @property
    def version(self) -> str:
        """Content hash: the same text always has the same version, whatever its label."""
        content = self.model_dump(mode="json", exclude={"name", "label", "description"})
        digest = hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()
        return digest[:VERSION_LENGTH]

    @property
    def ref(self) -> str:
        """`name@version`, how graphs pin this exact prompt."""
        return f"{self.name}@{self.version}"

    def variables(self) -> list[str]:
        """The placeholders of the system message and the template."""
        return [*template_fields(self.system or ""), *template_fields(self.template or "")]

    def to_messages(self, values: dict[str, str], history: list[BaseMessage] | None = None) -> list[BaseMessage]:
        """System, few-shot turns, the conversation so far, then the filled template."""
        messages: list[BaseMessage] = []
        if self.system:
            messages.append(SystemMessage(self.system.format_map(values)))
        for example in self.examples:
            messages += [HumanMessage(example.user), AIMessage(example.assistant)]
        messages += history or []
        if self.template is not None:
            messages.append(HumanMessage(self.template.format_map(values)))
        return messages

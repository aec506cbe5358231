"""The prompt that asks a chat model for a text in a target style: the `rewrite` node
sends it, the tone eval sends it, and the polite_tone training data is rendered from it."""

from __future__ import annotations

from collections.abc import Sequence

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from pydantic import BaseModel, ConfigDict, Field

DEFAULT_STYLE = (
    "Rewrite the user's message in a polite, professional tone. Keep its meaning and all its facts; "
    "remove insults and rudeness. Reply with the rewritten message only."
)


class RewriteExample(BaseModel):
    """One few-shot pair: a source text and its rewrite in the target style."""

    model_config = ConfigDict(extra="forbid")

    source: str = Field(min_length=1)
    rewrite: str = Field(min_length=1)


def rewrite_messages(
    text: str, style: str = DEFAULT_STYLE, examples: Sequence[RewriteExample] = (),
) -> list[BaseMessage]:
    """The style instruction as the system message, the few-shot pairs as earlier turns,
    then `text`."""
    messages: list[BaseMessage] = [SystemMessage(style)]
    for example in examples:
        messages += [HumanMessage(example.source), AIMessage(example.rewrite)]
    return [*messages, HumanMessage(text)]

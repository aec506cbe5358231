"""Built-in prompts of the self-reflective RAG nodes (a workspace prompt can replace each)."""

from __future__ import annotations

from pathlib import Path

from agentkit.prompts import Prompt, PromptStore

GRADE_DOCUMENT = Prompt(
    name="grade_document",
    system="You judge whether a passage helps answer a question. Reply yes or no.",
    template="Question: {question}\n\nPassage: {passage}\n\nDoes the passage help answer the question?",
)

REWRITE_QUERY = Prompt(
    name="rewrite_query",
    system=(
        "You rewrite search queries. Given a question and a query that found nothing useful, "
        "write a better search query: the key terms, synonyms, no filler words."
    ),
    template="Question: {question}\nQuery that failed: {query}\n\nBetter search query:",
    output_schema={
        "type": "object",
        "properties": {"query": {"type": "string", "minLength": 3, "maxLength": 160}},
        "required": ["query"],
        "additionalProperties": False,
    },
)

ANSWER_WITH_CITATIONS = Prompt(
    name="rag_answer",
    system="Answer the question in one or two sentences, using only the passages.",
    template="Passages:\n{passages}\n\nQuestion: {question}",
)


def resolve_prompt(reference: str | None, default: Prompt, workspace: Path) -> Prompt:
    """The workspace prompt `reference` (NAME or NAME@VERSION), else the built-in one."""
    return PromptStore(workspace / "prompts").get(reference) if reference else default

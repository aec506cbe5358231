"""Node kinds of self-reflective RAG: grade_documents, rewrite_query, generate_answer,
check_grounded. Documents travel in state as LangChain Documents (chunk id, source and
scores in their metadata)."""

from __future__ import annotations

import math
from typing import Any, Literal

from langchain_core.documents import Document
from langchain_core.runnables import RunnableConfig
from pydantic import BaseModel, ConfigDict, Field

from agentkit.engine.context import NodeContext
from agentkit.engine.refs import Channel, PromptName, Resource
from agentkit.engine.registry import NodeFunction, node_kind
from agentkit.nodes.retrieval import query_text
from agentkit.models.scoring import traced_option_scores
from agentkit.observability.attributes import span_attributes
from agentkit.prompts import Prompt
from agentkit.rag.grounding import ABSTAIN, QUOTE_PREFIX, attribute, best_quote, groundedness
from agentkit.rag.prompts import ANSWER_WITH_CITATIONS, GRADE_DOCUMENT, REWRITE_QUERY, resolve_prompt
from agentkit.rag.text import complete_sentences, lexical_tokens
from agentkit.spec.models import ROUTE_CHANNEL
from agentkit.text import text_of


def _documents(state: dict[str, Any], channel: str) -> list[Document]:
    return [d if isinstance(d, Document) else Document(**d) for d in state.get(channel) or []]


def _invoke(model: Any, prompt: Prompt, values: dict[str, str], config: RunnableConfig) -> Any:
    with span_attributes(prompt_version=prompt.ref, prompt_template=prompt.template or "",
                         prompt_variables=values):
        return model.invoke(prompt.to_messages(values), config)


# -- grade_documents -----------------------------------------------------------------
class GradeParams(BaseModel):
    """Parameters of a `grade_documents` node."""

    model_config = ConfigDict(extra="forbid")

    question: Channel = "question"
    documents: Channel = Field("documents", description="retrieved documents; the relevant ones are kept")
    by: Literal["llm", "overlap"] = Field(
        "llm", description="llm: P(yes) of 'does it help?'; overlap: share of question words in the document")
    llm: Resource("chat_model") | None = Field(None, description="by llm: the judging model")
    prompt: PromptName | None = Field(None, description="by llm: workspace prompt NAME[@VERSION] ({question}, {passage})")
    threshold: float = Field(0.5, ge=0, le=1, description="least confidence of a relevant document")
    confidence: Channel | None = Field("confidence", description="channel for the best document's confidence")
    attempts: Channel = Field("attempts", description="rewrites so far (rewrite_query counts them)")
    max_rewrites: int = Field(2, ge=0, description="weak retrieval is rewritten at most this often")


def _grade_labels(params: GradeParams) -> list[str]:
    return ["relevant", "weak", "exhausted"]


def _grade_check(params: GradeParams, ctx: Any) -> Any:
    if params.by == "llm" and params.llm is None:
        yield ("llm",), "grading by llm needs a chat model resource", "add `llm: <name>` or use `by: overlap`"


@node_kind("grade_documents", route_labels=_grade_labels, check=_grade_check)
def grade_documents_node(params: GradeParams, ctx: NodeContext) -> NodeFunction:
    """Score each document's relevance (0-1), keep those above the threshold, and route:
    relevant, weak (rewrite the query), or exhausted (no rewrites left)."""
    prompt = resolve_prompt(params.prompt, GRADE_DOCUMENT, ctx.workspace)
    model = ctx.resource(params.llm) if params.by == "llm" else None

    def confidence(question: str, document: Document, config: RunnableConfig) -> float:
        if model is None:
            asked = set(lexical_tokens([question])[0])
            found = set(lexical_tokens([document.page_content])[0])
            return len(asked & found) / len(asked) if asked else 0.0
        values = {"question": question, "passage": document.page_content}
        if hasattr(model, "score_options"):
            with span_attributes(prompt_version=prompt.ref, prompt_template=prompt.template or "",
                                 prompt_variables=values):
                yes, no = traced_option_scores(model, prompt.to_messages(values), ["yes", "no"], config)
            return 1.0 / (1.0 + math.exp(no - yes))
        verdict = _invoke(model.with_structured_output(_YES_NO), prompt, values, config)
        return 1.0 if verdict.get("relevant") else 0.0

    def run(state: dict[str, Any], config: RunnableConfig) -> dict[str, Any]:
        question = text_of(state.get(params.question))
        graded = [
            Document(id=d.id, page_content=d.page_content,
                     metadata={**d.metadata, "confidence": confidence(question, d, config)})
            for d in _documents(state, params.documents)
        ]
        relevant = [d for d in graded if d.metadata["confidence"] >= params.threshold]
        best = max((d.metadata["confidence"] for d in graded), default=0.0)
        if relevant:
            label = "relevant"
        else:
            label = "weak" if int(state.get(params.attempts) or 0) < params.max_rewrites else "exhausted"
        update: dict[str, Any] = {params.documents: relevant, ROUTE_CHANNEL: label}
        if params.confidence:
            update[params.confidence] = best
        return update

    return run


_YES_NO = {
    "type": "object",
    "properties": {"relevant": {"type": "boolean"}},
    "required": ["relevant"],
}


# -- rewrite_query --------------------------------------------------------------------
class RewriteParams(BaseModel):
    """Parameters of a `rewrite_query` node."""

    model_config = ConfigDict(extra="forbid")

    llm: Resource("chat_model") = Field(description="chat model that rewrites")
    question: Channel = "question"
    query: Channel = Field("query", description="channel with the last query; receives the new one")
    attempts: Channel = Field("attempts", description="incremented on every rewrite")
    prompt: PromptName | None = Field(None, description="workspace prompt NAME[@VERSION] with an output schema {query}")


@node_kind("rewrite_query")
def rewrite_query_node(params: RewriteParams, ctx: NodeContext) -> NodeFunction:
    """Ask the model for a better search query (structured output: {"query": ...})."""
    prompt = resolve_prompt(params.prompt, REWRITE_QUERY, ctx.workspace)
    model = ctx.resource(params.llm).with_structured_output(prompt.output_schema or REWRITE_QUERY.output_schema)

    def run(state: dict[str, Any], config: RunnableConfig) -> dict[str, Any]:
        question = text_of(state.get(params.question))
        values = {"question": question, "query": query_text(state, [params.query, params.question])}
        rewritten = str(_invoke(model, prompt, values, config).get("query", "")).strip()
        return {params.query: rewritten or question, params.attempts: int(state.get(params.attempts) or 0) + 1}

    return run


# -- generate_answer ------------------------------------------------------------------
class GenerateParams(BaseModel):
    """Parameters of a `generate_answer` node."""

    model_config = ConfigDict(extra="forbid")

    llm: Resource("chat_model") = Field(description="chat model that answers")
    question: Channel = "question"
    documents: Channel = "documents"
    output: Channel = Field("answer", description="channel for the answer text (with [n] markers)")
    citations: Channel = Field("citations", description="channel for the cited chunks: n, id, source")
    cite: Literal["match", "model"] = Field(
        "match", description="match: each sentence cites the passage covering most of its words; "
        "model: the model lists the passages it used (constrained JSON, for larger models)")
    prompt: PromptName | None = Field(None, description="workspace prompt NAME[@VERSION] ({passages}, {question})")
    max_tokens: int = Field(96, ge=8, description="longest answer in tokens")
    abstain: str = Field(ABSTAIN, description="the answer when no document is relevant")


def _cited_by_model(passages: int, max_tokens: int) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "answer": {"type": "string", "minLength": 1, "maxLength": 4 * max_tokens},
            "citations": {"type": "array", "items": {"type": "integer", "enum": list(range(1, passages + 1))},
                          "minItems": 1, "maxItems": passages},
        },
        "required": ["answer", "citations"],
        "additionalProperties": False,
    }


@node_kind("generate_answer")
def generate_answer_node(params: GenerateParams, ctx: NodeContext) -> NodeFunction:
    """Answer from the numbered documents, citing the passages each sentence rests on."""
    prompt = resolve_prompt(params.prompt, ANSWER_WITH_CITATIONS, ctx.workspace)
    model = ctx.resource(params.llm)
    free = model.bind(max_tokens=params.max_tokens, stop=["\n\n"])

    def run(state: dict[str, Any], config: RunnableConfig) -> dict[str, Any]:
        documents = _documents(state, params.documents)
        if not documents:
            return {params.output: params.abstain, params.citations: []}
        texts = [d.page_content for d in documents]
        values = {"passages": "\n\n".join(f"[{n}] {t}" for n, t in enumerate(texts, start=1)),
                  "question": text_of(state.get(params.question))}
        if params.cite == "model":
            structured = model.with_structured_output(_cited_by_model(len(documents), params.max_tokens))
            reply = _invoke(structured, prompt, values, config)
            cited = sorted({n for n in reply.get("citations", []) if 1 <= n <= len(documents)})
            answer = f"{reply['answer'].strip()} {''.join(f'[{n}]' for n in cited)}".strip()
        else:
            answer, cited = attribute(complete_sentences(_invoke(free, prompt, values, config).text), texts)
        citations = [{"n": n, "id": documents[n - 1].metadata.get("id", documents[n - 1].id),
                      "source": documents[n - 1].metadata.get("source", "")} for n in cited]
        return {params.output: answer, params.citations: citations}

    return run


# -- check_grounded -------------------------------------------------------------------
class GroundedParams(BaseModel):
    """Parameters of a `check_grounded` node."""

    model_config = ConfigDict(extra="forbid")

    answer: Channel = Field("answer", description="the drafted answer; replaced by the final one")
    documents: Channel = "documents"
    citations: Channel = "citations"
    threshold: float = Field(0.8, ge=0, le=1, description="least groundedness of an answer that is kept")
    score: Channel | None = Field("grounding", description="channel for the draft's groundedness (0-1)")
    question: Channel = Field("question", description="fallback quote: the question to match")
    fallback: Literal["abstain", "quote"] = Field(
        "abstain", description="when the draft is not grounded: abstain, or quote the document "
        "sentence that covers most of the question's words (if it covers at least half)")
    abstain: str = Field(ABSTAIN, description="the answer when nothing grounded can be said")


@node_kind("check_grounded", route_labels=lambda params: ["grounded", "ungrounded"])
def check_grounded_node(params: GroundedParams, ctx: NodeContext) -> NodeFunction:
    """Keep the answer if the cited chunks support it (listing its sources); otherwise quote
    the best matching sentence (`fallback: quote`) or say the documents do not contain it."""

    def run(state: dict[str, Any], config: RunnableConfig) -> dict[str, Any]:
        draft = text_of(state.get(params.answer))
        citations = list(state.get(params.citations) or [])
        documents = {d.metadata.get("id", d.id): d for d in _documents(state, params.documents)}
        cited = [documents[c["id"]].page_content for c in citations if c["id"] in documents]
        score = groundedness(draft, cited).score if cited else 0.0
        grounded = score >= params.threshold
        quote = None
        if not grounded and params.fallback == "quote" and documents:
            quote = best_quote(text_of(state.get(params.question)),
                               [d.page_content for d in documents.values()])
        if quote:
            sentence, n = quote
            document = list(documents.values())[n - 1]
            citations = [{"n": 1, "id": document.metadata.get("id", document.id),
                          "source": document.metadata.get("source", "")}]
            draft = f'{QUOTE_PREFIX} "{sentence}" [1]'
        if grounded or quote:
            sources = "\n".join(f"[{c['n']}] {c['source']} (chunk {c['id']})" for c in citations)
            final = f"{draft}\n\nSources:\n{sources}"
        else:
            final = params.abstain
        update: dict[str, Any] = {params.answer: final, ROUTE_CHANNEL: "grounded" if grounded else "ungrounded"}
        if params.score:
            update[params.score] = score
        return update

    return run

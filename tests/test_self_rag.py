"""Self-reflective RAG: the control flow with a scripted model, then graphs/self_rag.yaml
with the real local model over the project's own docs."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, Callable, Iterator

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import RunnableLambda
import pytest
from typer.testing import CliRunner

from agentkit import load_graph
from agentkit.cli.app import app
from agentkit.engine.registry import registry
from agentkit.observability.tracing import disable_tracing, enable_tracing, flush_traces
from agentkit.rag.grounding import ABSTAIN
from agentkit.rag.config import StoreConfig
from agentkit.rag.open import open_index
from conftest import REPO
from phoenix_server import fetch_spans

runner = CliRunner()


class ScriptedRagModel(BaseChatModel):
    """Answers, structured replies and yes/no grades from scripts (control-flow tests)."""

    answers: list[str] = []
    structured: list[dict[str, Any]] = []
    grades: list[bool] = []
    graded: list[str] = []

    @property
    def _llm_type(self) -> str:
        return "scripted-rag"

    def _generate(self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None,
                  **kwargs: Any) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=AIMessage(self.answers.pop(0)))])

    def with_structured_output(self, schema: Any, **kwargs: Any) -> Any:
        return RunnableLambda(lambda _: self.structured.pop(0))

    def score_options(self, messages: Any, options: list[str]) -> list[float]:
        self.graded.append(messages[-1].content)
        return [0.0, -3.0] if self.grades.pop(0) else [-3.0, 0.0]


def rag_graph(write_graph: Callable[..., Path], **check: str) -> Path:
    extra = "".join(f", {key}: {value}" for key, value in check.items())
    return write_graph(f"""
        name: rag
        input: question
        output: answer
        state:
          question: str
          query: str
          attempts: int
          documents: list[document]
          confidence: float
          answer: str
          citations: list[dict]
          grounding: float
        resources:
          docs: {{kind: store, name: kb}}
        nodes:
          retrieve: {{kind: retrieve, store: docs, query: [query, question], k: 1, mode: bm25}}
          grade: {{kind: grade_documents, llm: llm, max_rewrites: 2}}
          rewrite: {{kind: rewrite_query, llm: llm}}
          generate: {{kind: generate_answer, llm: llm}}
          check: {{kind: check_grounded{extra}}}
        edges:
          - [START, retrieve]
          - [retrieve, grade]
          - from: grade
            routes: {{relevant: generate, weak: rewrite, exhausted: generate}}
          - [rewrite, retrieve]
          - [generate, check]
          - [check, END]
        limits: {{max_steps: 16}}
        """)


@pytest.fixture
def kb(workspace: Path) -> None:
    """Store `kb` with three small documents (real MiniLM embeddings)."""
    docs = workspace / "kb"
    docs.mkdir()
    (docs / "rockets.md").write_text("Ariane rockets launch from Kourou in French Guiana.\n")
    (docs / "bees.md").write_text("Honeybees dance to show the hive where the flowers are.\n")
    (docs / "tea.md").write_text("Green tea is brewed at eighty degrees for two minutes.\n")
    open_index(StoreConfig(name="kb"), workspace).index([docs], workspace)


def run(graph: Path, model: ScriptedRagModel, question: str) -> dict[str, Any]:
    return load_graph(graph, resources={"llm": model}).invoke({"question": question})


def test_weak_retrieval_is_rewritten_then_answered_with_citations(
    kb: None, write_graph: Callable[..., Path]
) -> None:
    model = ScriptedRagModel(
        grades=[False, True],
        structured=[{"query": "honeybees dance flowers"}],
        answers=["Honeybees dance to show where the flowers are."],
    )
    state = run(rag_graph(write_graph), model, "How do bees tell the hive about food?")
    assert state["attempts"] == 1 and state["query"] == "honeybees dance flowers"
    assert "Honeybees dance" in model.graded[-1]  # the second retrieval used the rewritten query
    assert state["citations"][0]["source"] == "kb/bees.md"
    assert state["answer"].startswith("Honeybees dance to show where the flowers are. [1]")
    assert "Sources:\n[1] kb/bees.md (chunk " in state["answer"] and state["grounding"] == 1.0
    assert 0.9 < state["confidence"] <= 1.0


def test_rewrites_are_bounded_then_the_graph_abstains(kb: None, write_graph: Callable[..., Path]) -> None:
    model = ScriptedRagModel(grades=[False, False, False],
                             structured=[{"query": "first try"}, {"query": "second try"}])
    state = run(rag_graph(write_graph), model, "Who won the 2022 World Cup?")
    assert state["attempts"] == 2 and state["documents"] == []
    assert state["answer"] == ABSTAIN and state["citations"] == []


def test_an_ungrounded_answer_is_replaced_by_the_abstention(kb: None, write_graph: Callable[..., Path]) -> None:
    model = ScriptedRagModel(grades=[True], answers=["Rockets launch from Cape Canaveral in Florida."])
    state = run(rag_graph(write_graph), model, "Where do Ariane rockets launch from?")
    assert state["answer"] == ABSTAIN and state["grounding"] < 0.8


def test_the_quote_fallback_cites_the_sentence_matching_the_question(
    kb: None, write_graph: Callable[..., Path]
) -> None:
    model = ScriptedRagModel(grades=[True], answers=["Rockets launch from Cape Canaveral in Florida."])
    state = run(rag_graph(write_graph, fallback="quote"), model, "Where do Ariane rockets launch from?")
    assert state["answer"].startswith('The documents say: "Ariane rockets launch from Kourou in French Guiana." [1]')
    assert "[1] kb/rockets.md (chunk " in state["answer"]


def test_grading_by_the_real_model_is_traced_as_llm_spans_with_token_counts(
    kb: None, write_graph: Callable[..., Path], phoenix_server: str
) -> None:
    graph = write_graph("""
        name: grade_only
        input: question
        output: confidence
        state:
          question: str
          documents: list[document]
          confidence: float
          attempts: int
        resources:
          llm: {kind: chat_model, provider: local, max_tokens: 8}
          docs: {kind: store, name: kb}
        nodes:
          retrieve: {kind: retrieve, store: docs, k: 2, mode: bm25}
          grade: {kind: grade_documents, llm: llm, max_rewrites: 0}
        edges:
          - [START, retrieve]
          - [retrieve, grade]
          - from: grade
            routes: {relevant: END, weak: END, exhausted: END}
        """)
    assert enable_tracing("agentkit-test-grade", phoenix_server)
    try:
        state = load_graph(graph).invoke({"question": "Where do Ariane rockets launch from?"})
        assert flush_traces()
        spans = fetch_spans(phoenix_server, "agentkit-test-grade", count=6)
    finally:
        disable_tracing()
    assert 0.0 < state["confidence"] <= 1.0
    grade = next(s for s in spans if s["name"] == "grade")
    scored = [s for s in spans if s["parent_id"] == grade["context"]["span_id"] and s["span_kind"] == "LLM"]
    assert len(scored) == 2  # one per retrieved document, under the grade node
    for span in scored:
        attributes = span["attributes"]
        assert attributes["llm.token_count.prompt"] > 20
        assert attributes["llm.token_count.completion"] == 4  # "yes" and "no", each then end of turn
        assert attributes["llm.token_count.total"] == attributes["llm.token_count.prompt"] + 4
        assert attributes["llm.output_messages.0.message.content"] in ("yes", "no")
        said = " ".join(str(v) for k, v in attributes.items() if k.startswith("llm.input_messages."))
        assert "Where do Ariane rockets launch from?" in said
        assert attributes["llm.prompt_template.version"]


def test_retrieval_is_a_tool_for_agents(kb: None, workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tool = open_index(StoreConfig(name="kb"), workspace).as_tool(k=1)
    found = tool.invoke({"query": "green tea temperature"})
    assert found.startswith("[") and "kb/tea.md: Green tea is brewed at eighty degrees" in found
    (workspace / "tools").mkdir()
    shutil.copy(REPO / "tools" / "search_docs.py", workspace / "tools")
    monkeypatch.setenv("AGENTKIT_DOCS_STORE", "kb")
    workspace_tool = registry.tools(workspace)["search_docs"]
    assert "kb/bees.md: Honeybees dance" in workspace_tool.invoke({"query": "honeybees", "k": 1})


def test_self_rag_graph_answers_from_the_project_docs_with_the_real_model(workspace: Path) -> None:
    shutil.copytree(REPO / "docs", workspace / "docs")
    shutil.copytree(REPO / "graphs", workspace / "graphs")
    indexed = runner.invoke(app, ["index", "docs", "--store", "docs"])
    assert indexed.exit_code == 0, indexed.output
    answered = runner.invoke(app, ["run", "graphs/self_rag.yaml", "--no-trace", "-i", "Where are checkpoints stored?"])
    assert answered.exit_code == 0, answered.output
    assert "Sources:" in answered.output and "docs/graphs.md (chunk " in answered.output
    assert "SQLite" in answered.output
    unknown = runner.invoke(app, ["run", "graphs/self_rag.yaml", "--no-trace", "-i", "Who won the 2022 World Cup?"])
    assert unknown.exit_code == 0, unknown.output
    assert ABSTAIN in " ".join(unknown.output.split())


def test_semantic_routing_sends_each_question_to_its_store(workspace: Path, write_graph: Callable[..., Path]) -> None:
    for store, text in (("docs", "Graph files are YAML with nodes and edges."),
                        ("papers", "The trial found the treatment reduced tumour growth.")):
        folder = workspace / store
        folder.mkdir()
        (folder / "a.md").write_text(text)
        open_index(StoreConfig(name=store), workspace).index([folder], workspace)
    routed = (REPO / "graphs" / "routed_rag.yaml").read_text()
    nodes_only = routed.split("  generate:")[0]  # the route and the two retrieve nodes
    graph = write_graph(nodes_only + """edges:
  - [START, pick_source]
  - from: pick_source
    routes: {agentkit_docs: search_docs, papers: search_papers, none: END}
  - [search_docs, END]
  - [search_papers, END]
""")
    compiled = load_graph(graph)
    to_docs = compiled.invoke({"question": "How do I declare edges in a graph file?"})
    assert to_docs["route"] == "agentkit_docs" and to_docs["documents"][0].metadata["source"] == "docs/a.md"
    to_papers = compiled.invoke({"question": "Did the treatment slow tumour growth in the trial?"})
    assert to_papers["route"] == "papers" and to_papers["documents"][0].metadata["source"] == "papers/a.md"
    elsewhere = compiled.invoke({"question": "Recommend a pizza topping."})
    assert elsewhere["route"] == "none" and "documents" not in elsewhere

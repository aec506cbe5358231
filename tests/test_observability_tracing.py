"""Tracing a hand-written LangGraph into a real Phoenix, and running on when it is down."""

from __future__ import annotations

import logging
import socket
import subprocess
import sys
from collections.abc import Iterator
from typing import Annotated, Any, TypedDict

import pytest
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_core.messages.ai import UsageMetadata
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.tools import tool
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import add_messages
from langgraph.graph.state import CompiledStateGraph
from opentelemetry.sdk.trace import TracerProvider as SDKTracerProvider
from phoenix_server import fetch_spans

from agentkit.errors import ConfigError
from agentkit.observability import tracing
from agentkit.observability.attributes import set_current_span_attributes, span_attributes
from agentkit.observability.tracing import disable_tracing, enable_tracing, flush_traces


USAGE = UsageMetadata(input_tokens=11, output_tokens=7, total_tokens=18)


class UsageChatModel(BaseChatModel):
    """A chat model that always answers the same, reporting token usage."""

    @property
    def _llm_type(self) -> str:
        return "usage-fake"

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        message = AIMessage(content="look it up", usage_metadata=USAGE)
        return ChatResult(generations=[ChatGeneration(message=message)])


@tool
def lookup(query: str) -> str:
    """Look a word up."""
    return f"found {query}"


class DemoState(TypedDict, total=False):
    messages: Annotated[list[BaseMessage], add_messages]
    found: str


def build_graph() -> CompiledStateGraph[DemoState, None, DemoState, DemoState]:
    """START -> think (chat model) -> act (tool) -> END, named demo_graph."""
    model = UsageChatModel()

    def think(state: DemoState) -> dict[str, Any]:
        set_current_span_attributes({"agentkit.node.kind": "llm"})
        prompt = [SystemMessage("You answer briefly."), *state["messages"]]
        with span_attributes(prompt_version="v3"):
            return {"messages": [model.invoke(prompt)]}

    def act(state: DemoState) -> dict[str, Any]:
        return {"found": lookup.invoke({"query": "otter"})}

    graph = StateGraph(DemoState)
    graph.add_node("think", think)
    graph.add_node("act", act)
    graph.add_edge(START, "think")
    graph.add_edge("think", "act")
    graph.add_edge("act", END)
    return graph.compile(name="demo_graph")


def run_graph() -> dict[str, Any]:
    result: dict[str, Any] = build_graph().invoke({"messages": [HumanMessage("what is an otter?")]})
    return result


@pytest.fixture(scope="module")
def demo_spans(phoenix_server: str) -> Iterator[dict[str, dict[str, Any]]]:
    """The spans of one traced run of demo_graph, by span name."""
    assert enable_tracing("agentkit-test-demo", phoenix_server)
    try:
        with SDKTracerProvider().get_tracer("outer").start_as_current_span("outer request"):
            assert run_graph()["found"] == "found otter"
        assert flush_traces()
        spans = fetch_spans(phoenix_server, "agentkit-test-demo", count=5)
    finally:
        disable_tracing()
    yield {span["name"]: span for span in spans}


def test_graph_run_is_a_tree_of_chain_llm_and_tool_spans(
    demo_spans: dict[str, dict[str, Any]],
) -> None:
    assert set(demo_spans) == {"demo_graph", "think", "act", "UsageChatModel", "lookup"}
    kinds = {name: span["span_kind"] for name, span in demo_spans.items()}
    assert kinds == {
        "demo_graph": "CHAIN",
        "think": "CHAIN",
        "act": "CHAIN",
        "UsageChatModel": "LLM",
        "lookup": "TOOL",
    }

    def parent(name: str) -> str | None:
        parent_id = demo_spans[name]["parent_id"]
        return next(
            (n for n, s in demo_spans.items() if s["context"]["span_id"] == parent_id), None
        )

    assert demo_spans["demo_graph"]["parent_id"] is None  # despite the outer span
    assert parent("think") == parent("act") == "demo_graph"
    assert parent("UsageChatModel") == "think"
    assert parent("lookup") == "act"
    assert len({span["context"]["trace_id"] for span in demo_spans.values()}) == 1


def test_llm_span_has_token_counts_and_input_messages(
    demo_spans: dict[str, dict[str, Any]],
) -> None:
    attributes = demo_spans["UsageChatModel"]["attributes"]
    assert attributes["llm.token_count.prompt"] == USAGE["input_tokens"]
    assert attributes["llm.token_count.completion"] == USAGE["output_tokens"]
    assert attributes["llm.token_count.total"] == USAGE["total_tokens"]
    assert attributes["llm.input_messages.0.message.role"] == "system"
    assert attributes["llm.input_messages.1.message.content"] == "what is an otter?"
    assert attributes["llm.output_messages.0.message.content"] == "look it up"


def test_extra_attributes_reach_llm_and_node_spans(demo_spans: dict[str, dict[str, Any]]) -> None:
    assert demo_spans["UsageChatModel"]["attributes"]["llm.prompt_template.version"] == "v3"
    assert demo_spans["think"]["attributes"]["agentkit.node.kind"] == "llm"
    assert "llm.prompt_template.version" not in demo_spans["think"]["attributes"]


def test_enabling_another_project_switches_where_spans_go(phoenix_server: str) -> None:
    try:
        for project in ("agentkit-test-a", "agentkit-test-b"):
            assert enable_tracing(project, phoenix_server)
            assert tracing.tracing_project() == project
            run_graph()
        assert flush_traces()
    finally:
        disable_tracing()
    for project in ("agentkit-test-a", "agentkit-test-b"):
        assert len(fetch_spans(phoenix_server, project, count=5)) == 5


SHORT_PROCESS = """
import sys
from langgraph.graph import END, START, StateGraph
from typing_extensions import TypedDict
from agentkit.observability.tracing import enable_tracing

class State(TypedDict):
    text: str

graph = StateGraph(State)
graph.add_node("shout", lambda state: {"text": state["text"].upper()})
graph.add_edge(START, "shout")
graph.add_edge("shout", END)
assert enable_tracing("agentkit-test-exit", sys.argv[1])
graph.compile(name="short").invoke({"text": "hi"})
"""


def test_a_short_process_exports_its_spans_at_exit(phoenix_server: str) -> None:
    subprocess.run([sys.executable, "-c", SHORT_PROCESS, phoenix_server], check=True, timeout=60)
    spans = fetch_spans(phoenix_server, "agentkit-test-exit", count=2)
    assert sorted(span["name"] for span in spans) == ["short", "shout"]


def test_unreachable_phoenix_warns_once_and_the_graph_still_runs(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tracing._state, "warned", False)
    caplog.set_level(logging.WARNING)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))  # bound but not listening: connections are refused
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}"
        assert enable_tracing("agentkit-test-down", closed) is False
        assert run_graph()["found"] == "found otter"
        assert enable_tracing("agentkit-test-down", closed) is False
        assert flush_traces()
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.getMessage() for r in warnings] == [
        (
            f"Phoenix not reachable at {closed} — start it with `agentkit phoenix`; "
            "continuing without traces"
        )
    ]
    assert tracing.tracing_project() is None


def test_empty_project_name_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="project_name is empty"):
        enable_tracing("  ")

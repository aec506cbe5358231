"""The tool_agent loop: calls, parallel calls, failures as ToolMessages, step limit."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Callable

import pytest
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult

from agentkit import load_graph

TOOLS = '''
import time
from langchain_core.tools import tool

@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b

@tool
def fail(text: str) -> str:
    """Always fails."""
    raise RuntimeError("service down")

@tool
def slow(text: str) -> str:
    """Takes too long."""
    time.sleep(3)
    return text
'''
GRAPH = """\
name: agent
input: messages
output: answer
state: {messages: messages, answer: str}
resources:
  llm: {kind: chat_model}
nodes:
  agent: {kind: tool_agent, llm: llm, tools: [add, fail, slow], messages: messages, output: answer,
          max_steps: %d, tool_timeout: 0.5}
edges: [[START, agent], [agent, END]]
"""


class ScriptedToolModel(BaseChatModel):
    """Replies from a script; records what it was sent and how tools were bound."""

    script: list[AIMessage]
    sent: list[list[BaseMessage]] = []
    bound: list[dict[str, Any]] = []

    @property
    def _llm_type(self) -> str:
        return "scripted-tools"

    def bind_tools(self, tools: Any, **kwargs: Any) -> ScriptedToolModel:
        self.bound.append({"tools": [t.name for t in tools], **kwargs})
        return self

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> ChatResult:
        self.sent.append(list(messages))
        return ChatResult(generations=[ChatGeneration(message=self.script[len(self.sent) - 1])])


def call(name: str, args: dict[str, Any], id: str) -> dict[str, Any]:
    return {"name": name, "args": args, "id": id, "type": "tool_call"}


@pytest.fixture
def agent(workspace: Path, write_graph: Callable[..., Path]) -> Callable[..., Any]:
    (workspace / "tools").mkdir()
    (workspace / "tools" / "agent_tools.py").write_text(TOOLS)

    def build(*script: AIMessage, max_steps: int = 4) -> tuple[Any, ScriptedToolModel]:
        model = ScriptedToolModel(script=list(script), sent=[], bound=[])
        return load_graph(write_graph(GRAPH % max_steps), resources={"llm": model}), model

    return build


def test_calls_tools_in_parallel_then_answers(agent: Callable[..., Any]) -> None:
    graph, model = agent(
        AIMessage("", tool_calls=[call("add", {"a": 2, "b": 3}, "c1"), call("add", {"a": 10, "b": 1}, "c2")]),
        AIMessage("5 and 11"),
    )
    result = graph.invoke({"messages": [HumanMessage("add things")]})
    assert result["answer"] == "5 and 11"
    tool_messages = [m for m in result["messages"] if isinstance(m, ToolMessage)]
    assert [(m.tool_call_id, m.content) for m in tool_messages] == [("c1", "5"), ("c2", "11")]
    assert model.bound[0]["tools"] == ["add", "fail", "slow"] and model.bound[0]["tool_choice"] == "auto"
    assert model.sent[1][-1].content == "11"  # the model saw the results
    assert model.sent[0][0].type == "system"


def test_failures_go_back_to_the_model_as_tool_messages(agent: Callable[..., Any]) -> None:
    graph, model = agent(
        AIMessage("", tool_calls=[call("fail", {"text": "x"}, "f"), call("nope", {}, "n"),
                                  call("add", {"a": "two"}, "bad"), call("slow", {"text": "zz"}, "s")]),
        AIMessage("sorry"),
    )
    started = time.monotonic()
    result = graph.invoke({"messages": [HumanMessage("break things")]})
    assert time.monotonic() - started < 2.5  # the hanging tool did not hold the run
    errors = {m.tool_call_id: m for m in result["messages"] if isinstance(m, ToolMessage)}
    assert all(m.status == "error" for m in errors.values())
    assert "service down" in errors["f"].content
    assert "there is no tool 'nope'; available tools: add, fail, slow" in errors["n"].content
    assert "validation error" in errors["bad"].content.lower()
    assert "did not answer within 0.5 s" in errors["s"].content
    assert result["answer"] == "sorry"


def test_a_call_that_did_not_parse_goes_back_to_the_model(agent: Callable[..., Any]) -> None:
    unparsed = {"name": "add", "args": '{"a": 144.0000000', "id": "u1", "error": "unterminated JSON",
                "type": "invalid_tool_call"}
    graph, model = agent(AIMessage("", invalid_tool_calls=[unparsed]),
                         AIMessage("", tool_calls=[call("add", {"a": 1, "b": 2}, "c1")]), AIMessage("3"))
    result = graph.invoke({"messages": [HumanMessage("add 1 and 2")]})
    feedback = model.sent[1][-1]
    assert isinstance(feedback, ToolMessage) and feedback.status == "error" and feedback.tool_call_id == "u1"
    assert "did not parse (unterminated JSON)" in feedback.content
    assert result["answer"] == "3"


def test_step_limit_ends_the_loop_with_a_message(agent: Callable[..., Any]) -> None:
    looping = [AIMessage("", tool_calls=[call("add", {"a": 1, "b": 1}, f"c{i}")]) for i in range(2)]
    graph, model = agent(*looping, max_steps=2)
    result = graph.invoke({"messages": [HumanMessage("loop")]})
    assert len(model.sent) == 2
    assert result["answer"] == "I stopped after 2 model calls without a final answer."


def test_the_answer_template_leaves_an_omitted_optional_argument_blank(
    workspace: Path, write_graph: Callable[..., Path]
) -> None:
    (workspace / "tools").mkdir()
    (workspace / "tools" / "greet.py").write_text(
        "from langchain_core.tools import tool\n\n@tool\ndef greet(name: str, title: str = '') -> str:\n"
        "    \"\"\"Greet someone.\"\"\"\n    return f'hello {title}{name}'\n")
    graph = write_graph(GRAPH.replace("tools: [add, fail, slow]", "tools: [greet]").replace(
        "tool_timeout: 0.5}", "tool_timeout: 5, answer: '[{title}] {name}: {result}'}") % 2)
    model = ScriptedToolModel(script=[AIMessage("", tool_calls=[call("greet", {"name": "Ana"}, "g")])],
                              sent=[], bound=[])
    result = load_graph(graph, resources={"llm": model}).invoke({"messages": [HumanMessage("greet Ana")]})
    assert result["answer"] == "[] Ana: hello Ana"

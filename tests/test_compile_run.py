"""Compiling specs to LangGraph and running them: routes, tools, subgraphs, limits, threads."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any, Callable

import pytest
from langgraph.graph.state import CompiledStateGraph

from agentkit import RunError, compile_graph, load_graph, load_spec, run_graph

ECHO_TOOLS = '''
from langchain_core.tools import tool

@tool
def echo(text: str) -> list:
    """Return the text as a one-item list."""
    return [text]

@tool
def shout(text: str) -> str:
    """Upper-case the text."""
    return text.upper()

@tool
def explode(text: str) -> str:
    """Always fails."""
    raise RuntimeError("boom")
'''

ROUTER = """\
name: router
input: question
output: answer
state:
  question: str
  answer: str
resources:
  llm: {kind: chat_model}
nodes:
  classify:
    kind: route
    by: keywords
    input: question
    routes: {math: [sum, plus], loud: [shout]}
    default: chat
  math: {kind: llm, llm: llm, template: "Compute {question}", output: answer}
  chat: {kind: llm, llm: llm, system: "Be brief.", template: "{question}", output: answer}
  loud: {kind: tool, tool: shout, from_state: {text: question}, output: answer}
edges:
  - [START, classify]
  - from: classify
    routes: {math: math, loud: loud}
    default: chat
  - [math, END]
  - [chat, END]
  - [loud, END]
"""


@pytest.fixture
def tools(workspace: Path) -> Path:
    folder = workspace / "tools"
    folder.mkdir()
    (folder / "echo_tools.py").write_text(ECHO_TOOLS)
    return folder


def test_compiled_graph_is_plain_langgraph(write_graph: Callable[..., Path], tools: Path, scripted_llm: Any) -> None:
    graph = compile_graph(load_spec(write_graph(ROUTER)), resources={"llm": scripted_llm("4", "hello")})
    assert isinstance(graph, CompiledStateGraph) and graph.name == "router"
    assert set(graph.get_graph().nodes) >= {"classify", "math", "chat", "loud"}
    assert graph.invoke({"question": "the sum of 2 plus 2"}) == {
        "question": "the sum of 2 plus 2", "answer": "4", "route": "math"}
    assert graph.invoke({"question": "hi"})["answer"] == "hello"
    assert graph.invoke({"question": "shout this"})["answer"] == "SHOUT THIS"


def test_route_to_default_label(write_graph: Callable[..., Path], tools: Path, scripted_llm: Any) -> None:
    graph = load_graph(write_graph(ROUTER), resources={"llm": scripted_llm("fallback")})
    result = graph.invoke({"question": "nothing matches"})
    assert result["route"] == "chat" and result["answer"] == "fallback"


def test_tool_failure_names_node_and_tool(write_graph: Callable[..., Path], tools: Path, scripted_llm: Any) -> None:
    graph = load_graph(write_graph(ROUTER.replace("tool: shout", "tool: explode")), resources={"llm": scripted_llm("x")})
    with pytest.raises(RunError, match=r"node 'loud' \(kind 'tool'\) failed: RuntimeError: boom"):
        graph.invoke({"question": "shout"})


LOOP = """\
name: loop
input: text
output: history
state:
  text: str
  history: {type: list, reducer: append}
nodes:
  record: {kind: tool, tool: echo, from_state: {text: text}, output: history}
  again:
    kind: route
    by: keywords
    input: text
    routes: {more: [again]}
    default: done
edges:
  - [START, record]
  - [record, again]
  - from: again
    routes: {more: record, done: END}
limits: {max_steps: 6}
"""


def test_step_limit_ends_with_a_clear_message(write_graph: Callable[..., Path], tools: Path) -> None:
    with pytest.raises(RunError) as info:
        run_graph(write_graph(LOOP), "again and again", trace=False)
    message = str(info.value)
    assert "stopped after 6 steps without reaching END" in message and "max_steps" in message
    assert "graph.yaml" in message


def test_thread_continues_across_processes(write_graph: Callable[..., Path], tools: Path, workspace: Path) -> None:
    path = write_graph(LOOP)
    command = [sys.executable, "-m", "agentkit", "run", str(path), "--thread", "t1", "--no-trace", "-i"]
    env = {"AGENTKIT_WORKSPACE": str(workspace), "PATH": "/usr/bin:/bin"}
    for word in ("first", "second"):
        done = subprocess.run([*command, word], capture_output=True, text=True, env=env, cwd=workspace, timeout=120)
        assert done.returncode == 0, done.stderr
    assert "['first', 'second']" in done.stdout
    assert (workspace / ".agentkit" / "checkpoints.sqlite").is_file()
    other = run_graph(path, "third", thread_id="t2", trace=False)
    assert other.answer == ["third"]


def test_stream_reports_node_events(write_graph: Callable[..., Path], tools: Path) -> None:
    events: list[tuple[str, dict[str, Any]]] = []
    result = run_graph(write_graph(LOOP), "once", trace=False, on_event=lambda n, u: events.append((n, u)))
    assert [name for name, _ in events] == ["record", "again"]
    assert events[0][1] == {"history": ["once"]} and result.answer == ["once"]


def test_subgraph_maps_channels_in_and_out(write_graph: Callable[..., Path], tools: Path) -> None:
    write_graph("""\
        name: inner
        input: text
        output: loud
        state: {text: str, loud: str}
        nodes:
          up: {kind: tool, tool: shout, from_state: {text: text}, output: loud}
        edges: [[START, up], [up, END]]
        """, "inner.yaml")
    outer = write_graph("""\
        name: outer
        input: question
        output: answer
        state: {question: str, answer: str}
        nodes:
          call: {kind: subgraph, graph: inner.yaml, inputs: {text: question}, outputs: {answer: loud}}
        edges: [[START, call], [call, END]]
        """, "outer.yaml")
    assert run_graph(outer, "quiet please", trace=False).answer == "QUIET PLEASE"


def test_subgraph_problems_are_reported(write_graph: Callable[..., Path], tools: Path) -> None:
    from agentkit import validate_spec

    write_graph("name: selfish\nstate: {a: str}\nnodes:\n  me: {kind: subgraph, graph: selfish.yaml}\n"
                "edges: [[START, me], [me, END]]\n", "selfish.yaml")
    problems = [str(p) for p in validate_spec(load_spec(Path("graphs/selfish.yaml")))]
    assert any("includes itself" in p for p in problems)
    outer = write_graph("name: o\nstate: {a: str}\nnodes:\n  s: {kind: subgraph, graph: missing.yaml, inputs: {zz: a}}\n"
                        "edges: [[START, s], [s, END]]\n", "o.yaml")
    (problem,) = validate_spec(load_spec(outer))
    assert "subgraph missing.yaml is not valid" in str(problem) and "not found" in str(problem)


def test_workspace_tool_file_that_fails_to_import(write_graph: Callable[..., Path], workspace: Path) -> None:
    from agentkit.engine.registry import Registry
    from agentkit.errors import ConfigError

    (workspace / "tools").mkdir()
    (workspace / "tools" / "broken.py").write_text("import not_a_module_anywhere\n")
    with pytest.raises(ConfigError, match=r"broken.py: importing this tool file failed: ModuleNotFoundError"):
        Registry().tools(workspace)


SCOPED = """\
name: scoped
input: text
output: seen
state:
  text: str
  seen: {type: list, reducer: append, scope: run}
  history: {type: list, reducer: append}
  last: {type: str, scope: run}
  tag: {type: str, scope: run, default: fresh}
nodes:
  record: {kind: tool, tool: echo, from_state: {text: text}, output: seen}
  remember: {kind: tool, tool: echo, from_state: {text: text}, output: history}
  mark: {kind: tool, tool: shout, from_state: {text: text}, output: last}
edges: [[START, record], [record, remember], [remember, mark], [mark, END]]
"""


def test_run_channels_start_afresh_on_every_run_of_a_thread(write_graph: Callable[..., Path], tools: Path) -> None:
    path = write_graph(SCOPED)
    first = run_graph(path, "one", thread_id="t", trace=False)
    second = run_graph(path, "two", thread_id="t", trace=False)
    assert first.answer == ["one"] and second.answer == ["two"]  # not ['one', 'two']
    assert second.state["history"] == ["one", "two"]  # a thread channel keeps accumulating
    assert second.state["last"] == "TWO" and second.state["tag"] == "fresh"

    from langgraph.checkpoint.memory import InMemorySaver

    graph = compile_graph(load_spec(path), checkpointer=InMemorySaver())  # from Python, no runner
    config = {"configurable": {"thread_id": "py"}}
    graph.invoke({"text": "a"}, config)
    assert graph.invoke({"text": "b"}, config)["seen"] == ["b"]
    given = graph.invoke({"text": "c", "seen": ["given"], "tag": "set"}, config)
    assert given["seen"] == ["given", "c"] and given["tag"] == "set"  # the run's input sets its start
    assert graph.invoke({"text": "d"}, config)["tag"] == "fresh"
    updates = list(graph.stream({"text": "e"}, config, stream_mode="updates"))
    assert [list(u) for u in updates] == [["record"], ["remember"], ["mark"]]  # no extra step
    assert graph.get_state(config).values["seen"] == ["e"]


def test_self_rag_marks_its_per_run_channels() -> None:
    spec = load_spec(Path(__file__).resolve().parents[1] / "graphs" / "self_rag.yaml")
    scopes = {name: channel.scope for name, channel in spec.state.items()}
    assert scopes["query"] == scopes["attempts"] == "run" and scopes["question"] is None


def test_input_from_a_file_or_stdin(write_graph: Callable[..., Path], tools: Path, workspace: Path) -> None:
    from typer.testing import CliRunner

    from agentkit.cli.app import app

    path = write_graph(LOOP)
    text = "line one\n" + "é" * 200_000  # over Linux's 128 KB limit for one argument
    (workspace / "input.txt").write_text(text + "\n\n", encoding="utf-8")  # trailing line breaks dropped
    by_file = CliRunner().invoke(app, ["run", str(path), "--no-trace", "-i", "@input.txt"])
    assert by_file.exit_code == 0, by_file.output
    assert repr([text]) in by_file.output
    by_stdin = CliRunner().invoke(app, ["run", str(path), "--no-trace", "-i", "-"], input="from a pipe\n")
    assert by_stdin.exit_code == 0 and "['from a pipe']" in by_stdin.output, by_stdin.output
    literal = CliRunner().invoke(app, ["run", str(path), "--no-trace", "-i", "@@handle"])
    assert literal.exit_code == 0 and "['@handle']" in literal.output, literal.output


@pytest.mark.model
def test_llm_history_policy_sends_only_the_newest_turns(write_graph: Callable[..., Path]) -> None:
    from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
    from langgraph.checkpoint.memory import InMemorySaver

    from agentkit.models import LocalChatModel

    path = write_graph("""\
        name: chat
        input: messages
        output: messages
        state: {messages: messages}
        resources: {llm: {kind: chat_model, max_tokens: 4}}
        nodes:
          reply: {kind: llm, llm: llm, system: Be brief., messages: messages, output: messages,
                  history: {max_tokens: 120}}
        edges: [[START, reply], [reply, END]]
        """)
    graph = compile_graph(load_spec(path), checkpointer=InMemorySaver())
    turns = []
    for i in range(20):
        turns += [HumanMessage(f"Note {i}: the code word is w{i}."), AIMessage(f"Noted: w{i}.")]
    config = {"configurable": {"thread_id": "t"}}
    state = graph.invoke({"messages": [*turns, HumanMessage("What was the last code word?")]}, config)
    sent = state["messages"][-1].usage_metadata["input_tokens"]
    everything = LocalChatModel().get_num_tokens_from_messages([SystemMessage("Be brief."), *state["messages"][:-1]])
    assert len(state["messages"]) == 42  # the stored conversation keeps every turn
    assert sent <= 120 + 20 < everything  # the newest turns within 120 tokens, plus the system message


def test_checkpoints_are_created_where_hard_links_are_not_supported(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from agentkit.engine import checkpoints

    def no_links(source: str, target: str) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(checkpoints.os, "link", no_links)
    path = workspace / "checkpoints.sqlite"
    checkpoints.open_checkpoints(path).close()
    tables = {row[0] for row in sqlite3.connect(path).execute("SELECT name FROM sqlite_master")}
    assert {"checkpoints", "writes"} <= tables
    assert not [p.name for p in workspace.iterdir() if p.name.endswith((".new", ".copy"))]
    checkpoints.open_checkpoints(path).close()  # a second open finds it complete

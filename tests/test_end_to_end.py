"""The real local model through the predefined graphs, traced into a real Phoenix server."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any, Callable

import pytest
from langchain_core.messages import AIMessage

from agentkit import load_graph, run_graph
from agentkit.models.gguf_cache import CACHE_ENV
from agentkit.prompts import Prompt
from agentkit.observability.tracing import disable_tracing, flush_traces
from phoenix_server import fetch_spans

REPO = Path(__file__).resolve().parents[1]
TRACED = """\
name: traced_calc
input: question
output: answer
state: {question: str, result: str, answer: messages}
resources:
  llm: {kind: chat_model, max_tokens: 16}
nodes:
  calc: {kind: tool, tool: calculator, from_state: {expression: question}, output: result}
  explain: {kind: llm, llm: llm, template: "{question} = {result}. Say that in one sentence.", output: answer}
edges: [[START, calc], [calc, explain], [explain, END]]
"""
CALC_ONLY = """\
name: calc_only
input: question
output: result
state: {question: str, result: str}
nodes:
  calc: {kind: tool, tool: calculator, from_state: {expression: question}, output: result}
edges: [[START, calc], [calc, END]]
"""


@pytest.mark.model
def test_router_demo_answers_math_with_the_calculator_and_the_rest_with_the_model() -> None:
    graph = load_graph(REPO / "graphs" / "router_demo.yaml", workspace=REPO)
    for question, answer in [("What is 25 times 4?", "25 * 4 = 100"),
                             ("How much is 15 percent of 80?", "15% of 80 = 12")]:
        math = graph.invoke({"question": question})
        assert math["route"] == "math" and math["answer"] == answer
        human, call, result, reply = math["messages"]
        assert human.text == question and call.tool_calls[0]["name"] == "calculator"
        assert result.type == "tool" and answer.endswith(f"= {result.text}") and reply.text == answer
    general = graph.invoke({"question": "Who painted the Mona Lisa?"})
    assert general["route"] == "general" and general["answer"].strip() and general["messages"] == []
    capital = graph.invoke({"question": "What is the capital of France?"})  # the demo's question
    assert capital["route"] == "general" and capital["answer"] == "The capital of France is Paris."


@pytest.mark.model
def test_chat_recalls_the_name_in_a_later_process_and_counts_tokens(workspace: Path) -> None:
    chat = shutil.copy(REPO / "graphs" / "chat.yaml", workspace / "chat.yaml")
    (workspace / "prompts").mkdir()
    shutil.copy(REPO / "prompts" / "chat_assistant.yaml", workspace / "prompts")
    first = run_graph(chat, "Hi, my name is Ana.", thread_id="ana", trace=False)
    env = {"PATH": "/usr/bin:/bin", "AGENTKIT_WORKSPACE": str(workspace), CACHE_ENV: os.environ[CACHE_ENV]}
    done = subprocess.run([sys.executable, "-m", "agentkit", "run", str(chat), "-i", "What is my name?",
                           "--thread", "ana", "--no-trace"], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "Ana" in done.stdout.splitlines()[0]
    second = run_graph(chat, "What is my name?", thread_id="ana", trace=False)
    messages = second.state["messages"]
    assert [m.type for m in messages] == ["human", "ai", "human", "ai", "human", "ai"]
    assert messages[1].text == first.answer and messages[5].text == second.answer and "Ana" in second.answer
    for reply in (messages[1], messages[3], messages[5]):
        usage = reply.usage_metadata
        assert 0 < usage["output_tokens"] <= 96
        assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]
    tokens_in = [messages[i].usage_metadata["input_tokens"] for i in (1, 3, 5)]
    assert tokens_in == sorted(set(tokens_in))  # each turn sends the whole conversation so far
    run_graph(chat, "Hello, I'm Boris.", thread_id="boris", trace=False)
    other = run_graph(chat, "What is my name?", thread_id="boris", trace=False)
    assert len(other.state["messages"]) == 4 and "Boris" in other.answer and "Ana" not in other.answer


def test_run_is_traced_into_phoenix(phoenix_server: str, workspace: Path, monkeypatch: pytest.MonkeyPatch,
                                    write_graph: Callable[..., Path]) -> None:
    (workspace / "tools").mkdir()
    shutil.copy(REPO / "tools" / "calculator.py", workspace / "tools")
    monkeypatch.setenv("PHOENIX_COLLECTOR_ENDPOINT", phoenix_server)
    try:
        result = run_graph(write_graph(TRACED), "6 * 7")
        assert result.traced and result.state["result"] == "42"
        assert flush_traces()
    finally:
        disable_tracing()
    spans = {span["name"]: span for span in fetch_spans(phoenix_server, "traced_calc", count=5)}
    assert set(spans) == {"traced_calc", "calc", "calculator", "explain", "LocalChatModel"}
    by_id = {span["context"]["span_id"]: name for name, span in spans.items()}
    parent = {name: by_id.get(span["parent_id"]) for name, span in spans.items()}
    assert parent == {"traced_calc": None, "calc": "traced_calc", "explain": "traced_calc",
                      "calculator": "calc", "LocalChatModel": "explain"}
    kinds = {name: span["span_kind"] for name, span in spans.items()}
    assert kinds == {"traced_calc": "CHAIN", "calc": "CHAIN", "explain": "CHAIN",
                     "calculator": "TOOL", "LocalChatModel": "LLM"}
    reply: AIMessage = result.state["answer"][-1]
    llm = spans["LocalChatModel"]["attributes"]
    assert llm["llm.token_count.prompt"] == reply.usage_metadata["input_tokens"]
    assert llm["llm.token_count.completion"] == reply.usage_metadata["output_tokens"]
    assert llm["llm.token_count.total"] == reply.usage_metadata["total_tokens"]
    assert llm["llm.input_messages.0.message.content"] == "6 * 7 = 42. Say that in one sentence."
    assert spans["calculator"]["attributes"]["output.value"] == "42"
    inline = Prompt(name="explain", template="{question} = {result}. Say that in one sentence.")
    assert llm["llm.prompt_template.version"] == inline.ref


def test_unreachable_phoenix_warns_once_and_the_run_completes(
    workspace: Path, write_graph: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    (workspace / "tools").mkdir()
    shutil.copy(REPO / "tools" / "calculator.py", workspace / "tools")
    path = write_graph(CALC_ONLY)
    env = {"PATH": "/usr/bin:/bin", "AGENTKIT_WORKSPACE": str(workspace), "PHOENIX_COLLECTOR_ENDPOINT": "http://127.0.0.1:9",
           CACHE_ENV: os.environ[CACHE_ENV]}
    done = subprocess.run([sys.executable, "-m", "agentkit", "run", str(path), "-i", "2+2"],
                          capture_output=True, text=True, env=env, cwd=workspace, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "4"
    assert done.stderr.count("Phoenix not reachable") == 1


README_SERVER = "http://127.0.0.1:8000"  # where the README's examples find `agentkit serve`


def _readme_python_blocks() -> list[str]:
    text = (REPO / "README.md").read_text()
    return [textwrap.dedent(block) for block in re.findall(r"^ *```python\n(.*?)^ *```", text, re.S | re.M)]


@pytest.mark.parametrize("index", range(len(_readme_python_blocks())))
def test_readme_python_examples_run(index: int, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    script, block = tmp_path / "example.py", _readme_python_blocks()[index]
    if README_SERVER in block:  # an example that talks to `agentkit serve`: the tests' running server
        block = block.replace(README_SERVER, request.getfixturevalue("server").url)
    script.write_text(block)
    env = {"PATH": "/usr/bin:/bin", "AGENTKIT_WORKSPACE": str(REPO), CACHE_ENV: os.environ[CACHE_ENV]}
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=REPO, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]


def test_route_by_llm_choice_with_the_local_model() -> None:
    from agentkit import make_node
    from agentkit.models import ChatModelConfig, get_chat_model

    route = make_node("route", by="llm", input="question", llm=get_chat_model(ChatModelConfig()), routes={
        "weather": ["questions about weather, temperature, rain or forecasts"],
        "math": ["arithmetic and calculations with numbers"],
        "greeting": ["hello, hi, small talk"],
    })
    chosen = {q: route({"question": q}, {})["route"] for q in
              ("Will it rain in Paris tomorrow?", "What is 17 times 23?", "Good morning!")}
    assert chosen == {"Will it rain in Paris tomorrow?": "weather", "What is 17 times 23?": "math",
                      "Good morning!": "greeting"}

"""`agentkit serve`'s graph API (the shape of LangGraph Server's) against a real server:
graphs listed with their input schema (an invalid file skipped with its file:line errors),
invoke and SSE stream (node events, LLM tokens), thread state and history, and the human
in the loop: a tool call paused for approval, resumed with approve, edit or reject, over
HTTP and, in another process, from the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from typing import Any

import httpx
import pytest
from serve_process import Server, sse_events

pytestmark = pytest.mark.model


def post(server: Server, path: str, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(f"{server.url}{path}", json=body, timeout=120)


def test_graphs_are_listed_with_their_input_schema_and_a_broken_file_is_skipped(server: Server) -> None:
    listing = httpx.get(f"{server.url}/graphs").json()
    graphs = {g["name"]: g for g in listing["graphs"]}
    assert {"chat", "router_demo", "tool_agent", "approve_agent", "explode"} <= set(graphs)
    chat = graphs["chat"]
    assert (chat["input"], chat["output"], chat["file"]) == ("messages", "messages", "chat.yaml")
    assert chat["input_schema"]["anyOf"][0]["anyOf"][0] == {"type": "string", "description": "one user message"}
    assert "broken" not in graphs
    assert "broken.yaml:6" in listing["skipped"]["broken.yaml"] and "no_such_kind" in listing["skipped"]["broken.yaml"]
    assert "skipped graph broken.yaml" in server.log_text()


def test_invoke_runs_a_graph_and_a_thread_remembers(server: Server) -> None:
    thread = f"ana-{uuid.uuid4().hex[:6]}"
    first = post(server, "/graphs/chat/invoke", {"input": "Hi, my name is Ana.", "thread_id": thread}).json()
    assert (first["status"], first["thread_id"]) == ("done", thread) and first["output"]
    second = post(server, "/graphs/chat/invoke", {"input": "What is my name?", "thread_id": thread}).json()
    assert "Ana" in second["output"]
    state = httpx.get(f"{server.url}/threads/{thread}/state").json()
    assert [m["type"] for m in state["values"]["messages"]] == ["human", "ai", "human", "ai"]
    assert state["next"] == [] and state["checkpoint"]["thread_id"] == thread
    history = httpx.get(f"{server.url}/threads/{thread}/history", params={"limit": 20}).json()
    assert len(history) >= 4 and history[0]["checkpoint"] == state["checkpoint"]
    assert history[-1]["metadata"]["graph"] == "chat"


def test_stream_sends_node_events_and_tokens_then_the_end(server: Server) -> None:
    with httpx.stream("POST", f"{server.url}/graphs/chat/stream", json={"input": "Name one colour."},
                      timeout=120) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        events = list(sse_events(response))
    names = [name for name, _ in events]
    assert names[0] == "metadata" and names[-1] == "end"
    assert names.index("node_start") < names.index("token") < names.index("node_end")
    tokens = "".join(data["content"] for name, data in events if name == "token")
    end = events[-1][1]
    assert tokens == end["output"] and end["status"] == "done"
    [node_end] = [data for name, data in events if name == "node_end"]
    assert node_end["node"] == "reply" and node_end["update"]["messages"][0]["content"] == tokens


def _pause(server: Server, question: str) -> dict[str, Any]:
    paused = post(server, "/graphs/approve_agent/invoke", {"input": question}).json()
    assert paused["status"] == "interrupted", paused
    [pending] = paused["interrupts"]
    assert pending["value"]["node"] == "agent" and pending["value"]["tool_calls"][0]["name"] == "calculator"
    return paused


def test_a_tool_call_waits_for_approval_and_runs_when_approved(server: Server) -> None:
    paused = _pause(server, "What is 12 times 7?")
    thread = paused["thread_id"]
    state = httpx.get(f"{server.url}/threads/{thread}/state").json()
    assert state["next"] == ["agent"] and state["interrupts"][0]["value"]["tool_calls"][0]["args"] == \
        {"expression": "12 * 7"}
    done = post(server, f"/threads/{thread}/resume", {"action": "approve"}).json()
    assert done["status"] == "done" and done["output"]
    tool_results = [m for m in done["values"]["messages"] if m["type"] == "tool"]
    assert [m["content"] for m in tool_results] == ["84"]
    again = post(server, f"/threads/{thread}/resume", {"action": "approve"})
    assert again.status_code == 409 and again.json()["error"]["code"] == "not_interrupted"


def test_an_edited_call_runs_with_the_new_arguments_and_a_rejected_one_not_at_all(server: Server) -> None:
    edited = post(server, f"/threads/{_pause(server, 'What is 12 times 7?')['thread_id']}/resume",
                  {"action": "edit", "args": {"expression": "12 * 8"}}).json()
    assert [m["content"] for m in edited["values"]["messages"] if m["type"] == "tool"] == ["96"]
    rejected = post(server, f"/threads/{_pause(server, 'What is 12 times 7?')['thread_id']}/resume",
                    {"action": "reject", "reason": "no calculators today"}).json()
    [refusal] = [m for m in rejected["values"]["messages"] if m["type"] == "tool"]
    assert refusal["status"] == "error" and "no calculators today" in refusal["content"]


def test_a_paused_run_resumes_from_the_cli_in_another_process(server: Server) -> None:
    thread = _pause(server, "What is 6 times 7?")["thread_id"]
    env = {**os.environ, "AGENTKIT_WORKSPACE": str(server.workspace)}
    resumed = subprocess.run([sys.executable, "-m", "agentkit", "resume", thread, "--approve", "--no-trace"],
                             cwd=server.workspace, env=env, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert f"thread {thread}" in resumed.stdout + resumed.stderr
    state = httpx.get(f"{server.url}/threads/{thread}/state").json()
    assert state["next"] == [] and [m["content"] for m in state["values"]["messages"] if m["type"] == "tool"] == ["42"]

"""A real `agentkit serve` process on 127.0.0.1 (any free port) in a workspace of the test's
making, and an SSE reader; the server's stderr goes to a log file the tests can read."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from agentkit.server.process import ServerProcess, launch

REPO = Path(__file__).resolve().parents[1]


@dataclass
class Server:
    """A running server and the workspace it serves."""

    running: ServerProcess
    workspace: Path

    @property
    def url(self) -> str:
        return self.running.url

    @property
    def process(self) -> subprocess.Popen[bytes]:
        return self.running.process

    def log_text(self) -> str:
        return self.running.log.read_text(encoding="utf-8", errors="replace")

    def stop(self, timeout: float = 60.0) -> int:
        return self.running.stop(timeout)


def workspace_with_repo_files(root: Path, graphs: list[str]) -> Path:
    """A workspace with the repository's tools and prompts and some of its graphs."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copytree(REPO / "tools", root / "tools", dirs_exist_ok=True)
    shutil.copytree(REPO / "prompts", root / "prompts", dirs_exist_ok=True)
    (root / "graphs").mkdir(exist_ok=True)
    for name in graphs:
        shutil.copy(REPO / "graphs" / name, root / "graphs" / name)
    return root


def start_server(workspace: Path, *args: str) -> Server:
    """`agentkit serve --port 0 --no-trace ARGS` in `workspace`, once it says it is ready."""
    return Server(launch(workspace, "--no-trace", *args, log=workspace / "serve.log"), workspace)


def sse_events(response: httpx.Response) -> Iterator[tuple[str, Any]]:
    """(event, data) of a server-sent event stream (`message` when unnamed; data parsed as JSON)."""
    event, data = "message", []
    for line in response.iter_lines():
        if not line:
            if data:
                text = "\n".join(data)
                yield event, text if text == "[DONE]" else json.loads(text)
            event, data = "message", []
        elif line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].strip())


def metric(url: str, sample_name: str, key: str | None = None, **labels: str) -> float:
    """One sample of the server's /metrics (0 when absent), parsed by prometheus-client; `key`:
    an admin API key, for a server that asks for one."""
    from prometheus_client.parser import text_string_to_metric_families

    headers = {"Authorization": f"Bearer {key}"} if key else {}
    response = httpx.get(f"{url}/metrics", headers=headers)
    response.raise_for_status()
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            if sample.name == sample_name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return sample.value
    return 0.0


def wait_for(condition: Any, timeout: float = 15.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not hold within {timeout} s")
        time.sleep(0.1)


APPROVE_GRAPH = """\
name: approve_agent
description: A tool agent that asks before it calls a tool.
input: messages
output: answer
state: {messages: messages, answer: str}
resources:
  llm: {kind: chat_model, provider: local, max_tokens: 64}
nodes:
  agent: {kind: tool_agent, llm: llm, tools: [calculator], messages: messages, output: answer, max_steps: 2,
          approve: true}
edges: [[START, agent], [agent, END]]
"""
EXPLODE_TOOL = '''\
from langchain_core.tools import tool


@tool
def explode(text: str) -> str:
    """Always fails (for the server's error tests)."""
    raise RuntimeError("the explode tool failed on purpose")
'''
EXPLODE_GRAPH = """\
name: explode
input: text
output: result
state: {text: str, result: str}
nodes:
  boom: {kind: tool, tool: explode, from_state: {text: text}, output: result}
edges: [[START, boom], [boom, END]]
"""
BROKEN_GRAPH = """\
name: broken
input: text
output: text
state: {text: str}
nodes:
  bad: {kind: no_such_kind}
edges: [[START, bad], [bad, END]]
"""


def serve_workspace(root: Path) -> Path:
    """The repository's chat, router and tool graphs, plus an approving agent, a graph
    whose tool raises, and a graph file that does not validate."""
    workspace = workspace_with_repo_files(root, ["chat.yaml", "router_demo.yaml", "tool_agent.yaml"])
    (workspace / "graphs" / "approve_agent.yaml").write_text(APPROVE_GRAPH)
    (workspace / "graphs" / "explode.yaml").write_text(EXPLODE_GRAPH)
    (workspace / "graphs" / "broken.yaml").write_text(BROKEN_GRAPH)
    (workspace / "tools" / "explode.py").write_text(EXPLODE_TOOL)
    (workspace / "agentkit.yaml").write_text("prices:\n  smollm2-135m: {input: 0.5, output: 1.5}\n")
    return workspace


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory, model_cache: Path) -> Iterator[Server]:
    """One server for the API tests (8 sequences decoded together)."""
    running = start_server(serve_workspace(tmp_path_factory.mktemp("serve")), "--parallel", "8")
    yield running
    running.stop()

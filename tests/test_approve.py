"""A tool call that waits for a person, from the command line: `agentkit run --thread T`
stops and prints the pending call; `agentkit resume T --approve|--edit|--reject` goes on
from the checkpoint (the model call before the pause is not made again)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from serve_process import APPROVE_GRAPH, REPO
from typer.testing import CliRunner

from agentkit.cli.app import app
from agentkit.engine.runner import thread_graph_file
from agentkit.telemetry.store import TELEMETRY_FILE, read_records

pytestmark = pytest.mark.model
runner = CliRunner()


@pytest.fixture
def approving(workspace: Path) -> Path:
    shutil.copytree(REPO / "tools", workspace / "tools")
    graph = workspace / "graphs" / "approve_agent.yaml"
    graph.parent.mkdir()
    graph.write_text(APPROVE_GRAPH)
    return graph


def test_run_pauses_at_the_call_and_resume_runs_it(approving: Path, workspace: Path) -> None:
    paused = runner.invoke(app, ["run", str(approving), "-i", "What is 12 times 7?", "--thread", "t1", "--no-trace"])
    assert paused.exit_code == 0, paused.output
    assert "waiting for approval calculator(expression='12 * 7')" in paused.output
    assert "resume with: agentkit resume t1 --approve | --edit JSON | --reject" in paused.output
    assert thread_graph_file(workspace, "t1") == approving.resolve()
    calls_before = len([r for r in read_records(workspace / ".agentkit" / TELEMETRY_FILE) if r.kind == "model"])
    edited = runner.invoke(app, ["resume", "t1", "--edit", '{"expression": "12 * 8"}', "--no-trace"])
    assert edited.exit_code == 0, edited.output
    assert "waiting for approval" not in edited.output and edited.output.strip()
    records = read_records(workspace / ".agentkit" / TELEMETRY_FILE)
    assert [r.source for r in records if r.kind == "graph"] == ["run", "resume"]
    # the resumed run made only the answering model call: the paused one came from its checkpoint
    assert len([r for r in records if r.kind == "model"]) == calls_before + 1


def test_a_rejected_call_is_not_run(approving: Path) -> None:
    runner.invoke(app, ["run", str(approving), "-i", "What is 12 times 7?", "--thread", "t2", "--no-trace"])
    rejected = runner.invoke(app, ["resume", "t2", "--reject", "--reason", "not now", "--no-trace"])
    assert rejected.exit_code == 0, rejected.output
    assert "waiting for approval" not in rejected.output

"""Extending agentkit from another package (entry points) and from the workspace's tools/."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from pydantic import BaseModel

from agentkit.engine.registry import Registry
from agentkit.errors import ConfigError

PLUGIN_NODES = '''
from pydantic import BaseModel, ConfigDict
from agentkit import node_kind
from agentkit.engine.refs import Channel

class ReverseParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    input: Channel
    output: Channel

@node_kind("reverse")
def reverse(params: ReverseParams, ctx):
    """Reverse the text of a channel."""
    return lambda state, config: {params.output: state[params.input][::-1]}
'''
PLUGIN_TOOLS = '''
from langchain_core.tools import tool

@tool
def wordcount(text: str) -> int:
    """Count the words of a text."""
    return len(text.split())
'''
GRAPH = """\
name: plugged
input: text
output: result
state: {text: str, reversed: str, result: int}
nodes:
  flip: {kind: reverse, input: text, output: reversed}
  count: {kind: tool, tool: wordcount, from_state: {text: reversed}, output: result}
edges: [[START, flip], [flip, count], [count, END]]
"""


class Params(BaseModel):
    x: int = 1


@pytest.fixture
def plugin(tmp_path: Path) -> Path:
    """An installed-looking distribution declaring both entry point groups."""
    site = tmp_path / "site"
    info = site / "agentkit_plugin-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: agentkit-plugin\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(
        "[agentkit.nodes]\nplugin = plugin_nodes\n\n[agentkit.tools]\nwordcount = plugin_tools:wordcount\n")
    (site / "plugin_nodes.py").write_text(PLUGIN_NODES)
    (site / "plugin_tools.py").write_text(PLUGIN_TOOLS)
    return site


def _agentkit(site: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(site), "AGENTKIT_WORKSPACE": str(cwd)}
    return subprocess.run([sys.executable, "-m", "agentkit", *args], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=120)


def test_entry_points_add_node_kinds_and_tools(plugin: Path, workspace: Path) -> None:
    listing = _agentkit(plugin, workspace, "nodes")
    assert listing.returncode == 0, listing.stderr
    assert "reverse" in listing.stdout and "wordcount" in listing.stdout
    (workspace / "plugged.yaml").write_text(GRAPH)
    run = _agentkit(plugin, workspace, "run", "plugged.yaml", "-i", "one two three", "--no-trace")
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines()[0] == "3"


def test_workspace_tools_are_found_by_name(workspace: Path) -> None:
    (workspace / "tools").mkdir()
    (workspace / "tools" / "counting.py").write_text(PLUGIN_TOOLS)
    assert "wordcount" in Registry().tools(workspace)
    assert "wordcount" not in Registry().tools(None)


def test_registration_needs_a_params_model_and_unique_names() -> None:
    registry = Registry()
    with pytest.raises(TypeError, match="pydantic params model"):
        registry.node_kind("bad")(lambda params, ctx: None)

    @registry.node_kind("twice")
    def first(params: Params, ctx: object) -> object:
        """First."""

    with pytest.raises(ConfigError, match="registered twice"):
        @registry.node_kind("twice")
        def second(params: Params, ctx: object) -> object:
            """Second."""
    assert registry.node_kinds()["twice"].description == "First."

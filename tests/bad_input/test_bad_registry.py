"""Bad extensions: clashing or misplaced definitions in the workspace's tools/ and entry
points that hold nothing fail with a message naming both places (or the entry point),
never a silent shadowing and never a traceback; the tool files are untouched."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from harness import Outcome, assert_clear_failure, run_cli, tree_digest

WORDCOUNT = '''
from langchain_core.tools import tool

@tool
def wordcount(text: str) -> int:
    """Count the words of a text."""
    return len(text.split())
'''
NODE_KIND = '''
from pydantic import BaseModel
from agentkit import node_kind

class Params(BaseModel):
    text: str

@node_kind("echo")
def echo(params: Params, ctx):
    """Echo."""
    return lambda state, config: {}
'''
GRAPH = """\
name: counting
input: text
output: n
state: {text: str, n: int}
nodes:
  count: {kind: tool, tool: wordcount, from_state: {text: text}, output: n}
edges: [[START, count], [count, END]]
"""
WORKSPACE_CASES = {
    "same tool in two files": ({"a.py": WORDCOUNT, "b.py": WORDCOUNT},
                               ["tool 'wordcount' is defined in both", "a.py and", "b.py; rename one of them"]),
    "node kind in tools/": ({"a.py": WORDCOUNT, "echo.py": NODE_KIND},
                            ["echo.py: defines NodeKind 'echo', but a workspace's tools/ holds tools only",
                             "entry point group 'agentkit.nodes'", "Registry.collect"]),
}


def _sources(folder: Path) -> dict[str, str]:
    return {name: digest for name, digest in tree_digest(folder).items() if "__pycache__" not in name}


@pytest.mark.parametrize("command", [["nodes"], ["graph", "validate", "graph.yaml"],
                                     ["run", "graph.yaml", "-i", "a b", "--no-trace"]])
@pytest.mark.parametrize("case", sorted(WORKSPACE_CASES))
def test_bad_workspace_tools(workspace: Path, case: str, command: list[str]) -> None:
    files, fragments = WORKSPACE_CASES[case]
    (workspace / "tools").mkdir()
    for name, text in files.items():
        (workspace / "tools" / name).write_text(text, encoding="utf-8")
    (workspace / "graph.yaml").write_text(GRAPH, encoding="utf-8")
    before = _sources(workspace / "tools")
    assert_clear_failure(run_cli(*command), 1, *fragments)
    assert _sources(workspace / "tools") == before


PLUGIN_CASES = {
    "entry point holding nothing": (
        "[agentkit.nodes]\nhelpers = plugin_mod:helper\n", "",
        ["entry point 'helpers' (plugin_mod:helper) of agentkit-plugin in group 'agentkit.nodes' holds no node "
         "kind, resource kind or tool", "decorated with @node_kind, @resource_kind or @tool"]),
    "plugin tool shadowed by a workspace tool": (
        "[agentkit.tools]\nwordcount = plugin_mod:wordcount\n", WORDCOUNT,
        ["tool 'wordcount' in", "tools/wordcount.py is also registered by plugin_mod.wordcount",
         "rename one of them"]),
}


@pytest.mark.parametrize("case", sorted(PLUGIN_CASES))
def test_bad_plugins(workspace: Path, tmp_path: Path, case: str) -> None:
    entry_points, workspace_tool, fragments = PLUGIN_CASES[case]
    site = tmp_path / "site"
    (site / "agentkit_plugin-0.1.dist-info").mkdir(parents=True)
    (site / "agentkit_plugin-0.1.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: agentkit-plugin\nVersion: 0.1\n")
    (site / "agentkit_plugin-0.1.dist-info" / "entry_points.txt").write_text(entry_points)
    (site / "plugin_mod.py").write_text(f"def helper() -> None:\n    pass\n{WORDCOUNT}")
    if workspace_tool:
        (workspace / "tools").mkdir()
        (workspace / "tools" / "wordcount.py").write_text(workspace_tool)
    env = {**os.environ, "PYTHONPATH": str(site), "AGENTKIT_WORKSPACE": str(workspace), "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-m", "agentkit", "nodes"], capture_output=True, text=True, env=env,
                          cwd=workspace, timeout=120)
    assert_clear_failure(Outcome(done.returncode, done.stdout + done.stderr, None), 1, *fragments)

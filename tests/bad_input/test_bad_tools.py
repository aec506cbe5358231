"""Bad tool arguments: a `tool` node run from the CLI answers the failure as text (exit 0,
the message as the graph's answer), never a traceback; the workspace's tools are untouched."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from harness import assert_clear_failure, run_cli, tree_digest

REPO = Path(__file__).resolve().parents[2]
GRAPH = """\
name: call_{tool}
input: given
output: answer
state: {{given: str, answer: str}}
nodes:
  call: {{kind: tool, tool: {tool}, args: {args}, from_state: {{{argument}: given}}, output: answer}}
edges: [[START, call], [call, END]]
"""


@pytest.mark.parametrize(("tool", "args", "argument", "given", "fragments"), [
    ("unit_convert", "{from_unit: km, to_unit: nm}", "value", "1e308",
     ["1e+308 km is about 1.000e+320 nm, outside the floating point range", "convert to a larger length unit"]),
    ("unit_convert", "{from_unit: PiB, to_unit: bit}", "value", "1e308",
     ["outside the floating point range", "convert to a larger data size unit"]),
    ("unit_convert", "{from_unit: K, to_unit: °R}", "value", "1e308",
     ["outside the floating point range", "no temperature scale holds it"]),
    ("unit_convert", "{from_unit: nm, to_unit: km}", "value", "5e-324",
     ["too small for a floating point number", "convert to a smaller length unit"]),
    ("search_docs", "{query: checkpoints}", "k", "many",
     ["invalid arguments for search_docs: k: Input should be a valid integer"]),
])
def test_tool_failure_is_the_answer(workspace: Path, tool: str, args: str, argument: str, given: str,
                                    fragments: list[str]) -> None:
    (workspace / "tools").mkdir()
    shutil.copy(REPO / "tools" / f"{tool}.py", workspace / "tools")
    graph = workspace / "graph.yaml"
    graph.write_text(GRAPH.format(tool=tool, args=args, argument=argument), encoding="utf-8")
    before = tree_digest(workspace / "tools")
    assert_clear_failure(run_cli("run", str(graph), "-i", given, "--no-trace"), 0, *fragments)
    assert tree_digest(workspace / "tools") == before


def test_bad_store_name_for_search_docs(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENTKIT_DOCS_STORE", "../docs")
    (workspace / "tools").mkdir()
    shutil.copy(REPO / "tools" / "search_docs.py", workspace / "tools")
    graph = workspace / "graph.yaml"
    graph.write_text(GRAPH.format(tool="search_docs", args="{}", argument="query"), encoding="utf-8")
    assert_clear_failure(run_cli("run", str(graph), "-i", "checkpoints", "--no-trace"), 0,
                         "$AGENTKIT_DOCS_STORE = '../docs' is not a store name",
                         "set it to the name given to `agentkit index --store`")
    assert not (workspace / ".agentkit" / "stores").exists()

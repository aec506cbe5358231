"""Malformed Phoenix auth settings: `agentkit run` stops before running, names the variable
and the entry, never shows the (often secret) value, and changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from harness import assert_clear_failure, run_cli, tree_digest

GRAPH = """\
name: add
input: q
output: a
state: {q: str, a: str}
nodes:
  c: {kind: tool, tool: calculator, from_state: {expression: q}, output: a}
edges: [[START, c], [c, END]]
"""


@pytest.mark.parametrize(("variable", "value", "fragment"), [
    ("PHOENIX_CLIENT_HEADERS", "px-s3cret", "$PHOENIX_CLIENT_HEADERS, entry 1 is not name=value with a header name"),
    ("PHOENIX_CLIENT_HEADERS", "x-team=ok,bad name=s3cret", "$PHOENIX_CLIENT_HEADERS, entry 2 is not name=value"),
    ("PHOENIX_CLIENT_HEADERS", "x-key=s3cret%0D%0AHost: evil", "entry 1 ('x-key') has a control character"),
    ("PHOENIX_API_KEY", "s3cret\nmore", "$PHOENIX_API_KEY contains a control character"),
])
def test_malformed_phoenix_headers(workspace: Path, monkeypatch: pytest.MonkeyPatch, variable: str,
                                   value: str, fragment: str) -> None:
    monkeypatch.setenv(variable, value)
    monkeypatch.setenv("PHOENIX_COLLECTOR_ENDPOINT", "http://127.0.0.1:9")  # no Phoenix needed to fail
    graph = workspace / "graph.yaml"
    graph.write_text(GRAPH, encoding="utf-8")
    before = tree_digest(workspace)
    outcome = run_cli("run", str(graph), "-i", "1+1")
    assert_clear_failure(outcome, 1, fragment)
    assert "s3cret" not in outcome.output
    assert tree_digest(workspace) == before

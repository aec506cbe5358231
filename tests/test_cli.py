"""The command line: exit codes, messages without tracebacks, pictures and the schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

import jsonschema
import pytest
import yaml
from typer.testing import CliRunner

from agentkit.cli.app import app

REPO = Path(__file__).resolve().parents[1]
runner = CliRunner()


def test_validate_ok_and_bad(write_graph: Callable[..., Path], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENTKIT_WORKSPACE", str(REPO))  # router_demo's calculator is in the repo's tools/
    ok = runner.invoke(app, ["graph", "validate", str(REPO / "graphs" / "router_demo.yaml")])
    assert ok.exit_code == 0 and "ok" in ok.output
    bad = write_graph("name: x\nstate: {a: str}\nnodes:\n  n: {kind: nope}\nedges: [[START, n], [n, END]]\n")
    result = runner.invoke(app, ["graph", "validate", str(bad)])
    assert result.exit_code == 2
    assert "graph.yaml:4: nodes.n.kind: unknown node kind 'nope'" in result.output
    assert "Traceback" not in result.output


def test_malformed_file_and_missing_file_exit_2(write_graph: Callable[..., Path]) -> None:
    broken = write_graph("name: x\nstate: [\n")
    result = runner.invoke(app, ["graph", "validate", str(broken)])
    assert result.exit_code == 2 and "malformed YAML" in result.output
    assert runner.invoke(app, ["graph", "validate", "nope.yaml"]).exit_code == 2


def test_show_prints_mermaid_and_writes_png(tmp_path: Path) -> None:
    out = tmp_path / "router.png"
    result = runner.invoke(app, ["graph", "show", str(REPO / "graphs" / "router_demo.yaml"), "--png", str(out)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("flowchart TD")
    assert "n_classify -. math .-> n_math" in result.output
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 10_000


def test_schema_accepts_shipped_graphs_and_rejects_unknown_kinds(tmp_path: Path) -> None:
    out = tmp_path / "schema.json"
    assert runner.invoke(app, ["graph", "schema", "--out", str(out)]).exit_code == 0
    schema = json.loads(out.read_text())
    for path in (REPO / "graphs").glob("*.yaml"):
        jsonschema.validate(yaml.safe_load(path.read_text()), schema)
    data = yaml.safe_load((REPO / "graphs" / "chat.yaml").read_text())
    data["nodes"]["reply"]["kind"] = "lmm"
    assert not jsonschema.Draft202012Validator(schema).is_valid(data)
    data["nodes"]["reply"] = {"kind": "llm", "llm": "llm", "output": "messages", "bogus": 1}
    assert not jsonschema.Draft202012Validator(schema).is_valid(data)


def test_nodes_lists_kinds_with_params() -> None:
    result = runner.invoke(app, ["nodes"])
    assert result.exit_code == 0
    for word in ("llm", "route", "tool", "subgraph", "chat_model", "embeddings", "threshold"):
        assert word in result.output


def test_run_error_is_a_message_not_a_traceback(write_graph: Callable[..., Path]) -> None:
    path = write_graph("name: x\ninput: n\nstate: {n: int}\nnodes:\n  t: {kind: tool, tool: missing, output: n}\n"
                       "edges: [[START, t], [t, END]]\n")
    result = runner.invoke(app, ["run", str(path), "-i", "3", "--no-trace"])
    assert result.exit_code == 2 and "unknown tool 'missing'" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)

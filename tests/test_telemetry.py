"""Telemetry: records written off the request path (batched, a failing disk never fails a
call), prices from `agentkit.yaml` (errors with file:line), `agentkit stats` over what
`agentkit run` recorded, and token prices registered in a real Phoenix so its traces show
what a call cost."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from agentkit.cli.app import app
from agentkit.models import LocalChatModel
from agentkit.observability.prices import name_pattern, register_prices
from agentkit.observability.tracing import disable_tracing, enable_tracing, flush_traces
from agentkit.telemetry.metrics import Metrics
from agentkit.telemetry.records import CallRecord
from agentkit.telemetry.sink import Telemetry
from agentkit.telemetry.stats import parse_since, summarize
from agentkit.telemetry.store import TelemetryWriter, read_records
from agentkit.workspace_config import Price, WorkspaceConfig, WorkspaceConfigError, load_workspace_config

runner = CliRunner()


def test_records_are_written_in_batches_and_read_back(tmp_path: Path) -> None:
    writer = TelemetryWriter(tmp_path / "t.sqlite", interval_s=0.05)
    for i in range(1200):
        writer.record(CallRecord(kind="model", model="m", input_tokens=i, latency_s=0.01 * (i % 10)))
    writer.close()
    records = read_records(tmp_path / "t.sqlite")
    assert [r.input_tokens for r in records] == list(range(1200)) and writer.dropped == 0


def test_a_database_that_cannot_be_written_drops_records_and_never_raises(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    writer = TelemetryWriter(blocked / "t.sqlite", interval_s=0.05)
    for _ in range(10):
        writer.record(CallRecord(kind="model", model="m"))
    writer.close()
    assert writer.dropped == 10 and writer.written == 0


def test_a_full_queue_drops_instead_of_blocking(tmp_path: Path) -> None:
    writer = TelemetryWriter(tmp_path / "t.sqlite", max_queue=5, interval_s=5)
    started = time.perf_counter()
    for _ in range(1000):
        writer.record(CallRecord(kind="model", model="m"))
    assert time.perf_counter() - started < 0.5 and writer.dropped > 0
    writer.close()


def test_prices_per_token_per_cpu_second_by_pattern_and_for_adapters() -> None:
    config = WorkspaceConfig(prices={"smollm2-135m": Price(input=1.0, output=2.0, cpu_second=0.01),
                                     "gpt-*": Price(input=0.15, output=0.6)})
    assert config.price_of("smollm2-135m").cost(1000, 500, 2.0) == pytest.approx(0.001 + 0.001 + 0.02)
    assert config.price_of("smollm2-135m:tool_calls") == config.price_of("smollm2-135m")
    assert config.price_of("gpt-4o-mini").output == 0.6 and config.price_of("other").cost(10, 10, 10) == 0
    telemetry_metrics = Metrics()
    telemetry_metrics.observe(CallRecord(kind="model", model="m", cost=0.5, first_token_s=0.1, batch_size=3))
    assert b'agentkit_cost_dollars_total{kind="model",name="m"} 0.5' in telemetry_metrics.exposition()


def test_a_bad_workspace_config_names_the_line_and_key(tmp_path: Path) -> None:
    (tmp_path / "agentkit.yaml").write_text("prices:\n  smollm2-135m: {inptu: 1}\n  other: {output: -1}\n")
    with pytest.raises(WorkspaceConfigError) as info:
        load_workspace_config(tmp_path)
    message = str(info.value)
    assert "agentkit.yaml:2: prices.smollm2-135m.inptu: unknown key 'inptu'" in message and "input" in message
    assert "agentkit.yaml:3: prices.other.output" in message


def test_stats_sum_up_what_agentkit_run_recorded(workspace: Path, write_graph, model_cache: Path) -> None:
    (workspace / "agentkit.yaml").write_text("prices:\n  smollm2-135m: {input: 2, output: 4}\n")
    graph = write_graph("""\
        name: short
        input: topic
        output: line
        state: {topic: str, line: str}
        resources:
          llm: {kind: chat_model, max_tokens: 6}
        nodes:
          write: {kind: llm, llm: llm, template: "One word about {topic}.", output: line}
        edges: [[START, write], [write, END]]
        """)
    for topic in ("rain", "tea"):
        assert runner.invoke(app, ["run", str(graph), "-i", topic, "--no-trace"]).exit_code == 0
    shown = runner.invoke(app, ["stats", "--by", "graph", "--json"])
    assert shown.exit_code == 0, shown.output
    [group] = json.loads(shown.output)["groups"]
    assert (group["group"], group["calls"], group["errors"]) == ("short", 2, 0)
    assert group["output_tokens"] <= 12 and group["cost"] > 0 and group["first_token_p50"] > 0
    by_model = json.loads(runner.invoke(app, ["stats", "--json"]).output)["groups"]
    assert by_model[0]["group"] == "smollm2-135m" and by_model[0]["calls"] == 2
    assert by_model[0]["cost"] == pytest.approx(group["cost"])
    page = workspace / "stats.html"
    assert runner.invoke(app, ["stats", "--by", "prompt", "--html", str(page)]).exit_code == 0
    assert "<svg" in page.read_text()


def test_stats_options_are_checked() -> None:
    assert abs(parse_since("2h", now=10_000.0) - 2800.0) < 1e-9
    bad = runner.invoke(app, ["stats", "--since", "yesterday"])
    assert bad.exit_code == 1 and "--since 'yesterday'" in bad.output
    assert runner.invoke(app, ["stats", "--by", "colour"]).exit_code == 1
    assert summarize([], "model") == []


def test_phoenix_prices_the_local_model_from_the_workspace_table(phoenix_server: str, model_cache: Path) -> None:
    assert name_pattern("smollm2-135m") and "SmolLM2-135M-Instruct.Q4_1" not in name_pattern("gpt-*")
    assert register_prices({"smollm2-135m": Price(input=1000.0, output=2000.0)}, ["SmolLM2-135M-Instruct.Q4_1"],
                           endpoint=phoenix_server) == ["agentkit:smollm2-135m"]
    assert register_prices({"smollm2-135m": Price(input=1000.0, output=2000.0)}, endpoint=phoenix_server)  # again
    time.sleep(6)  # Phoenix reads its model prices every 5 s; a span priced before that goes unpriced
    project = f"agentkit-test-cost-{time.time_ns()}"
    assert enable_tracing(project, phoenix_server)
    try:
        reply = LocalChatModel(max_tokens=5).invoke("Name a colour.")
        assert flush_traces()
    finally:
        disable_tracing()
    usage = reply.usage_metadata
    expected = (usage["input_tokens"] * 1000.0 + usage["output_tokens"] * 2000.0) / 1e6
    query = """query { projects { edges { node { name spans(first: 20) { edges { node {
        spanKind costSummary { total { cost } } } } } } } } }"""
    deadline, costs = time.monotonic() + 30, []
    while not costs and time.monotonic() < deadline:
        data = httpx.post(f"{phoenix_server}/graphql", json={"query": query}).json()
        nodes = [edge["node"] for edge in data["data"]["projects"]["edges"] if edge["node"]["name"] == project]
        costs = [span["node"]["costSummary"]["total"]["cost"] for node in nodes for span in node["spans"]["edges"]
                 if span["node"]["spanKind"] == "llm" and span["node"]["costSummary"]]
        time.sleep(0.5)
    assert costs == [pytest.approx(expected)]

"""What telemetry costs a request, with it on and off in the same run (target <= 1 ms):
the work a served chat completion does for telemetry (a record priced, queued for the
SQLite writer, counted in the Prometheus metrics) and the LangChain callback a graph run's
model calls go through, against the same calls with telemetry off; and how many records
per second the background writer stores.

Run: .venv/bin/python bench/serve_telemetry.py   (~10 s)"""

from __future__ import annotations

import statistics
import tempfile
import time
import uuid
from pathlib import Path

from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.outputs import ChatGeneration, LLMResult
from rich.console import Console
from rich.table import Table

from agentkit.telemetry.callbacks import TelemetryCallback
from agentkit.telemetry.metrics import Metrics
from agentkit.telemetry.records import CallRecord
from agentkit.telemetry.sink import Telemetry
from agentkit.workspace_config import Price, WorkspaceConfig

CALLS = 20_000
REPLY = LLMResult(generations=[[ChatGeneration(message=AIMessage(
    "The capital of France is Paris.", usage_metadata={"input_tokens": 37, "output_tokens": 9, "total_tokens": 46},
    response_metadata={"model_name": "SmolLM2-135M-Instruct.Q4_1", "adapter": "base", "queue_s": 0.001,
                       "first_token_s": 0.05, "cpu_s": 0.2, "batch_size": 3.0}))]])


def per_call(work, calls: int = CALLS) -> float:
    """Median microseconds per call over 5 batches."""
    samples = []
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(calls // 5):
            work()
        samples.append((time.perf_counter() - started) / (calls // 5) * 1e6)
    return statistics.median(samples)


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="agentkit-telemetry-"))
    config = WorkspaceConfig(prices={"smollm2-135m": Price(input=0.5, output=1.5)})
    telemetry = Telemetry(folder, config, Metrics(), path=folder / "t.sqlite")

    def served_call(on: bool) -> None:
        started = time.perf_counter()
        record = CallRecord(kind="model", model="smollm2-135m", source="serve", input_tokens=37, output_tokens=9,
                            first_token_s=0.05, latency_s=time.perf_counter() - started, queue_s=0.001)
        if on:
            telemetry.record(record)

    callback = TelemetryCallback(telemetry, graph="chat", source="serve")

    def graph_model_call(on: bool) -> None:
        run_id = uuid.uuid4()
        if on:
            callback.on_chat_model_start({}, [[HumanMessage("hi")]], run_id=run_id,
                                         metadata={"ls_model_name": "SmolLM2-135M-Instruct.Q4_1"})
            callback.on_llm_end(REPLY, run_id=run_id)

    rows = []
    for name, work in (("served completion", served_call), ("model call in a graph", graph_model_call)):
        off, on = per_call(lambda: work(False)), per_call(lambda: work(True))
        rows.append((name, off, on))
    telemetry.close()
    written = telemetry.writer.written
    table = Table("per request", "telemetry off (µs)", "telemetry on (µs)", "cost (µs)", "target",
                  title=f"telemetry cost, {CALLS:,} calls each")
    for name, off, on in rows:
        table.add_row(name, f"{off:.1f}", f"{on:.1f}", f"{on - off:.1f}", "<= 1000 µs")
    Console().print(table)
    started = time.perf_counter()
    writer_telemetry = Telemetry(folder, config, None, path=folder / "w.sqlite")
    for _ in range(CALLS):
        writer_telemetry.record(CallRecord(kind="model", model="smollm2-135m"))
    writer_telemetry.close()
    seconds = time.perf_counter() - started
    Console().print(f"background writer: {writer_telemetry.writer.written:,} records in {seconds:.2f} s "
                    f"({writer_telemetry.writer.written / seconds:,.0f}/s), dropped {writer_telemetry.writer.dropped}; "
                    f"earlier run wrote {written:,}, dropped {telemetry.writer.dropped}")


if __name__ == "__main__":
    main()

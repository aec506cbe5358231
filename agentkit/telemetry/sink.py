"""Where records go: priced, then queued for the database and counted in the metrics."""

from __future__ import annotations

import logging
from pathlib import Path

from agentkit.telemetry.metrics import Metrics
from agentkit.telemetry.records import CallRecord
from agentkit.telemetry.store import TELEMETRY_FILE, TelemetryWriter
from agentkit.workspace import state_dir
from agentkit.workspace_config import WorkspaceConfig, load_workspace_config


_calls = logging.getLogger("agentkit.calls")  # one line per call, when the server asks for it


def describe(record: CallRecord) -> str:
    """One log line of a call: what, tokens, times, cost and status."""
    what = f"graph {record.graph}" if record.kind == "graph" else f"model {record.model}" + (
        f"+{record.adapter}" if record.adapter not in ("", "base") else "")
    first = f" first token {record.first_token_s:.3f}s" if record.first_token_s is not None else ""
    return (f"{what}: {record.input_tokens} in, {record.output_tokens} out,{first} total {record.latency_s:.3f}s, "
            f"queue {record.queue_s:.3f}s, ${record.cost:.6f}, {record.status}"
            + (f" (error id {record.error_id})" if record.error_id else ""))


class Telemetry:
    """The telemetry of one process: `record()` costs microseconds and never raises."""

    def __init__(self, workspace: Path, config: WorkspaceConfig | None = None, metrics: Metrics | None = None,
                 path: Path | None = None) -> None:
        self.config = config if config is not None else load_workspace_config(workspace)
        self.metrics = metrics
        self.writer = TelemetryWriter(path or state_dir(workspace) / TELEMETRY_FILE)

    def record(self, record: CallRecord) -> None:
        """Price `record` (unless it carries a cost) and hand it on."""
        if record.kind == "model" and not record.cost:
            record.cost = self.config.price_of(record.model).cost(record.input_tokens, record.output_tokens,
                                                                  record.cpu_s)
        self.writer.record(record)
        if self.metrics is not None:
            self.metrics.observe(record)
        if _calls.isEnabledFor(logging.INFO):
            _calls.info(describe(record))

    def close(self) -> None:
        self.writer.close()

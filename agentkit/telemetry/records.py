"""One telemetry record: a model call or a graph run."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["model", "graph"]
Status = Literal["ok", "error", "cancelled", "rejected", "timeout"]
GROUPS = ("model", "graph", "prompt", "adapter", "key")
PROMPT_KEY = "agentkit_prompt"
PROMPT_VERSION_KEY = "agentkit_prompt_version"
"""Run metadata keys an `llm` node sets: the prompt's name and version, read into records."""
"""What `agentkit stats --by` groups by (each a column of a record)."""


@dataclass(slots=True)
class CallRecord:
    """A finished call. `model` is the served model id (empty for a graph run without
    one), `graph` the graph it ran in (if any), `key` the calling API key's id."""

    kind: Kind
    model: str = ""
    graph: str = ""
    prompt: str = ""
    prompt_version: str = ""
    adapter: str = ""
    key: str = ""
    source: str = ""  # serve, run, ask
    input_tokens: int = 0
    output_tokens: int = 0
    first_token_s: float | None = None
    latency_s: float = 0.0
    queue_s: float = 0.0
    cpu_s: float = 0.0
    batch_size: float = 0.0  # mean sequences per forward pass of a local generation
    cost: float = 0.0
    status: Status = "ok"
    error_id: str = ""
    ts: float = field(default_factory=time.time)


COLUMNS = tuple(CallRecord.__dataclass_fields__)

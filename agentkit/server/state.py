"""What a running server holds: its settings, models, graphs, telemetry and life cycle."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from agentkit.access.key_limits import KeyLimits
from agentkit.access.keys import KeyStore
from agentkit.models.config import QuantLevel
from agentkit.server.lifecycle import Lifecycle
from agentkit.server.served_graphs import ServedGraphs
from agentkit.server.served_models import ServedModels
from agentkit.telemetry.metrics import Metrics
from agentkit.telemetry.sink import Telemetry
from agentkit.workspace_config import ServeLimits


class ServeConfig(BaseModel):
    """`agentkit serve`'s settings."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535)
    workspace: Path
    graphs: Path | None = Field(None, description="graph folder (default: the workspace's graphs/)")
    quant: QuantLevel | None = None
    parallel: int = Field(8, ge=1, le=256)
    threads: int | None = Field(None, ge=1, description="llama.cpp threads (None: agentkit's choice)")
    limits: ServeLimits = Field(default_factory=ServeLimits)
    drain_timeout: float = Field(60.0, gt=0)
    trace: bool = True
    require_keys: bool = Field(False, description="ask for an API key on loopback too (always on other addresses)")
    cors_origins: tuple[str, ...] = Field((), description="origins browsers may call from (none: CORS off)")

    @property
    def graph_dir(self) -> Path:
        return self.graphs or self.workspace / "graphs"


@dataclass
class ServerState:
    """Made at start-up; `models` and `graphs` are set once they are loaded (`lifecycle.ready`)."""

    config: ServeConfig
    telemetry: Telemetry
    metrics: Metrics
    lifecycle: Lifecycle
    started: int
    keys: KeyStore
    key_limits: KeyLimits = field(default_factory=KeyLimits)
    models: ServedModels = field(init=False)
    graphs: ServedGraphs = field(init=False)
    traced: bool = False
    runs: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(32, thread_name_prefix="agentkit-run"))

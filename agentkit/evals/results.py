"""The one result format of every eval: what `agentkit eval run --json` writes.

An `EvalResult` holds the suite that ran, how (config, model and prompt versions), how
long each phase took, the aggregate metrics (a flat name -> float map such as
`accuracy`, `simple_python/accuracy`, `hybrid/ndcg_at_10`), which way each metric is
better, the suite's thresholds, and every item with its own scores.
"""

from __future__ import annotations

import math

from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from agentkit.errors import ConfigError, read_text

FORMAT = "agentkit.eval/1"
Direction = Literal["higher", "lower"]


class Threshold(BaseModel):
    """Bounds a metric must stay within (either may be left open)."""

    model_config = ConfigDict(extra="forbid")

    min: float | None = None
    max: float | None = None

    def violation(self, value: float) -> str | None:
        """Why `value` is out of bounds (None when it is within); not a number is out."""
        if not math.isfinite(value):
            return "not a number (no item was scored)"
        if self.min is not None and value < self.min:
            return f"below min {self.min:g}"
        if self.max is not None and value > self.max:
            return f"above max {self.max:g}"
        return None


class ItemRecord(BaseModel):
    """One eval item: what went in, what came out, what was expected, how it scored.

    `group` is the item's slice (BFCL category, retrieval mode, groundedness part);
    `input`, `output` and `expected` are JSON values; `scores` holds the per-item metrics
    (booleans as 0/1); `error` says why the item failed, if it did.
    """

    id: str
    group: str = ""
    input: Any = None
    output: Any = None
    expected: Any = None
    scores: dict[str, float] = Field(default_factory=dict)
    latency_s: float | None = Field(default=None, ge=0)
    error: str | None = None


class EvalResult(BaseModel):
    """A whole eval run (the `--json` file of `agentkit eval run` and its front ends)."""

    format: Literal["agentkit.eval/1"] = FORMAT
    suite: str = Field(description="suite name (the suite file's stem unless it names one)")
    kind: str = Field(description="eval kind: bfcl, retrieval, groundedness, ...")
    created: datetime = Field(default_factory=lambda: datetime.now(timezone.utc))
    config: dict[str, Any] = Field(default_factory=dict, description="settings, data path included")
    models: dict[str, str] = Field(default_factory=dict, description="role -> model label and version")
    prompts: dict[str, str] = Field(default_factory=dict, description="prompt name -> version")
    timings: dict[str, float] = Field(default_factory=dict, description="phase -> seconds")
    metrics: dict[str, float] = Field(default_factory=dict)
    directions: dict[str, Direction] = Field(
        default_factory=dict, description="metric -> which way is better (default: higher)")
    thresholds: dict[str, Threshold] = Field(default_factory=dict)
    items: list[ItemRecord] = Field(default_factory=list)

    @model_validator(mode="after")
    def _known_metrics(self) -> EvalResult:
        for name in [*self.directions, *self.thresholds]:
            if name not in self.metrics:
                raise ValueError(f"{name!r} has a direction or threshold but is not a metric")
        return self

    def direction(self, metric: str) -> Direction:
        """Which way `metric` is better."""
        return self.directions.get(metric, "higher")

    def groups(self) -> list[str]:
        """Item groups in first-seen order."""
        return list(dict.fromkeys(item.group for item in self.items))

    def failed_thresholds(self) -> dict[str, str]:
        """Metric -> why it is out of its threshold (empty when all pass)."""
        return {name: why for name, bound in self.thresholds.items()
                if (why := bound.violation(self.metrics[name])) is not None}

    def save(self, path: Path) -> None:
        """Write the result as indented JSON (folders created as needed)."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(self.model_dump_json(indent=2) + "\n", encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot write result file {path}: {exc.strerror}\n"
                              "    fix: choose a writable path") from None

    @classmethod
    def load(cls, path: Path) -> EvalResult:
        """Read a result written by `save` (clear error if it is not one)."""
        text = read_text(path, "result file", "pass a file written by `agentkit eval ... --json`")
        try:
            return cls.model_validate_json(text)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(map(str, first["loc"])) or "(top level)"
            raise ConfigError(
                f"{path} is not an eval result file ({exc.error_count()} problem(s), first: "
                f"{where}: {first['msg']})\n"
                "    fix: pass a file written by `agentkit eval ... --json` (format "
                f"{FORMAT}); results of older agentkit versions cannot be compared"
            ) from None

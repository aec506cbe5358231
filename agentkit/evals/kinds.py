"""What every eval kind provides to `run_suite`: its settings, its metrics, its runner.

A kind's runner turns a data path and checked settings into an `EvalResult` (items,
metrics, config, models, timings); `run_suite` adds the suite's name and rules.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from typing import Protocol

from pydantic import BaseModel

from agentkit.evals.results import EvalResult


class Progress(Protocol):
    """Where a runner reports progress (the CLI shows rich bars; tests may record)."""

    def start(self, task: str, total: int | None) -> None:
        """A new phase of `total` steps (None: unknown)."""

    def advance(self, task: str, steps: int = 1, note: str = "") -> None:
        """`steps` more steps of `task` done; `note` is a short running figure."""

    def log(self, line: str) -> None:
        """A line worth keeping (a finished category, an index summary, a warning)."""


class Silent:
    """Progress that shows nothing."""

    def start(self, task: str, total: int | None) -> None:
        """Ignore."""

    def advance(self, task: str, steps: int = 1, note: str = "") -> None:
        """Ignore."""

    def log(self, line: str) -> None:
        """Ignore."""


Runner = Callable[[BaseModel, Path, Progress], EvalResult]
HtmlWriter = Callable[[EvalResult, Path, list[EvalResult]], None]


@dataclass(frozen=True)
class EvalKind:
    """One kind of eval. Metrics are `<base>` or `<group>/<base>` for a base in
    `base_metrics`; those in `lower_is_better` improve as they fall (latencies)."""

    name: str
    settings: type[BaseModel]
    base_metrics: tuple[str, ...]
    lower_is_better: frozenset[str]
    run: Runner
    html: HtmlWriter | None = None  # a report with the kind's own sections (default: evals.html's)

    def knows(self, metric: str) -> bool:
        """Whether `metric` names one of this kind's metrics."""
        return metric.rsplit("/", 1)[-1] in self.base_metrics

    def direction(self, metric: str) -> str:
        """`lower` for latencies and the like, else `higher`."""
        return "lower" if metric.rsplit("/", 1)[-1] in self.lower_is_better else "higher"


# kind name -> the module defining its KIND (one per name of evals.suite.Kind)
MODULES = {
    "bfcl": "agentkit.evals.bfcl.suite",
    "retrieval": "agentkit.evals.retrieval.suite",
    "groundedness": "agentkit.evals.groundedness_suite",
    "tone": "agentkit.evals.tone_suite",
    "multihop": "agentkit.evals.multihop.suite",
}


def eval_kind(name: str) -> EvalKind:
    """The kind called `name` (imported on demand: each pulls in its own libraries)."""
    if name not in MODULES:
        from agentkit.errors import ConfigError

        *rest, last = MODULES
        raise ConfigError(f"unknown eval kind {name!r}; use {', '.join(rest)} or {last}")
    return import_module(MODULES[name]).KIND

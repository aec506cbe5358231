"""Eval suite files (`evals/NAME.yaml`): which eval, on what data, with which settings,
and the metric rules (thresholds, baseline tolerance). Errors name file:line:key."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agentkit.errors import GraphSpecError, Problem, YamlFileError, read_text
from agentkit.evals.results import Threshold
from agentkit.spec.loader import KeyPath, SourceMap, format_key, parse_yaml, validation_problems

Kind = Literal["bfcl", "retrieval", "groundedness", "tone", "multihop"]  # each has a module in evals.kinds.MODULES
KINDS: tuple[str, ...] = get_args(Kind)


@dataclass(frozen=True)
class RelativeToSuite:
    """A settings field holding a path that is relative to the suite file (as `data` is)."""


SuitePath = Annotated[str, RelativeToSuite()]


def resolve_suite_paths(settings: BaseModel, base_dir: Path) -> BaseModel:
    """`settings` with every relative `SuitePath` the suite sets made relative to `base_dir`
    (a default stays relative to the working folder)."""
    fields = type(settings).model_fields
    moved = {name: os.path.normpath(base_dir / value) for name in settings.model_fields_set
             if any(isinstance(m, RelativeToSuite) for m in fields[name].metadata)
             and isinstance(value := getattr(settings, name), str) and not Path(value).is_absolute()}
    return settings.model_copy(update=moved)


class MetricRule(BaseModel):
    """What a suite asks of one metric: bounds, and how far it may drop from a baseline."""

    model_config = ConfigDict(extra="forbid")

    min: float | None = None
    max: float | None = None
    tolerance: float | None = Field(
        default=None, ge=0, description="largest allowed drop from the baseline (metric units)")

    def threshold(self) -> Threshold | None:
        """The bounds, if any are set."""
        return Threshold(min=self.min, max=self.max) if (self.min, self.max) != (None, None) else None


class Suite(BaseModel):
    """One eval suite. `data` (and settings typed `SuitePath`) is relative to the suite
    file; `settings` are the eval kind's own (checked against it); `metrics` lists the
    gated metrics."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(default="", description="defaults to the file's stem")
    kind: Kind
    description: str = ""
    data: str = Field(min_length=1)
    settings: dict[str, Any] = Field(default_factory=dict)
    tolerance: float = Field(default=0.0, ge=0, description="default baseline tolerance")
    metrics: dict[str, MetricRule] = Field(default_factory=dict)
    base_dir: Path = Field(default=Path("."), exclude=True)
    source: str = Field(default="", exclude=True, description="the suite file, for messages")

    def data_path(self, override: Path | None = None) -> Path:
        """The data path: `override` (as given) or `data` relative to the suite file."""
        return override if override is not None else (self.base_dir / self.data)

    def tolerance_of(self, metric: str) -> float:
        """How far `metric` may drop from the baseline."""
        rule = self.metrics.get(metric)
        return rule.tolerance if rule and rule.tolerance is not None else self.tolerance

    def thresholds(self) -> dict[str, Threshold]:
        """Metric -> bounds, for the metrics that set any."""
        return {name: bound for name, rule in self.metrics.items()
                if (bound := rule.threshold()) is not None}


def load_suite(path: Path) -> tuple[Suite, SourceMap]:
    """Read and check a suite file's structure (settings are checked by the eval kind)."""
    text = read_text(path, "eval suite", "pass a suite file such as evals/bfcl.yaml")
    try:
        data, source = parse_yaml(text, str(path))
    except GraphSpecError as exc:
        raise SuiteError(exc.problems) from None
    if not isinstance(data, dict):
        raise SuiteError([source.problem((), "an eval suite must be a mapping",
                                         "start with `kind: bfcl` and `data: <path>`")])
    try:
        suite = Suite.model_validate(data)
    except ValidationError as exc:
        raise SuiteError(problems(exc, source, ())) from None
    suite.name = suite.name or path.stem
    suite.base_dir = path.resolve().parent
    suite.source = str(path)
    return suite, source


class SuiteError(YamlFileError):
    """An eval suite file is not valid: every problem with its file:line:key."""

    what = "eval suite"


def problems(
    exc: ValidationError, source: SourceMap, prefix: KeyPath, fields: list[str] | None = None,
) -> list[Problem]:
    """Pydantic errors as located problems; `prefix` is where the validated part sits and
    `fields` its keys (default: the suite's own)."""
    allowed = _allowed if fields is None else (lambda path: fields)
    return validation_problems(exc, source, allowed, prefix=prefix, value_hint=_hint)


def _allowed(path: KeyPath) -> list[str]:
    if path[:1] == ("metrics",):
        return list(MetricRule.model_fields)
    return [n for n, f in Suite.model_fields.items() if not f.exclude]


def _hint(path: KeyPath) -> str | None:
    if path == ("kind",):
        return f"use one of {', '.join(KINDS)}"
    return f"fix the value of `{format_key(path)}`" if path else None

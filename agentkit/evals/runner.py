"""Run an eval suite: check its settings and metric names against its kind, run the
kind, and stamp the result with the suite's name, metric directions and thresholds."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ValidationError

from agentkit.errors import ConfigError, suggest
from agentkit.evals.kinds import EvalKind, Progress, Silent, eval_kind
from agentkit.evals.results import EvalResult
from agentkit.evals.suite import Suite, SuiteError, problems, resolve_suite_paths
from agentkit.spec.loader import SourceMap


def check_suite(suite: Suite, source: SourceMap | None = None) -> tuple[EvalKind, BaseModel]:
    """The suite's kind and its checked settings; bad settings or unknown metric names
    are a SuiteError naming file:line:key."""
    source = source or SourceMap(suite.source or None)
    kind = eval_kind(suite.kind)
    fields = list(kind.settings.model_fields)
    try:
        settings = kind.settings.model_validate(suite.settings)
    except ValidationError as exc:
        raise SuiteError(problems(exc, source, ("settings",), fields)) from None
    unknown = [source.problem(
        ("metrics", name), f"{name!r} is not a {kind.name} metric",
        f"use a metric or `<group>/<metric>`; {suggest(name.rsplit('/', 1)[-1], kind.base_metrics)}",
    ) for name in suite.metrics if not kind.knows(name)]
    if unknown:
        raise SuiteError(unknown)
    return kind, settings


def run_suite(
    suite: Suite, source: SourceMap | None = None, *, data: Path | None = None,
    limit: int | None = None, progress: Progress | None = None,
) -> EvalResult:
    """Run `suite` on its data (or `data`), with `limit` in place of its own if given."""
    kind, settings = check_suite(suite, source)
    settings = resolve_suite_paths(settings, suite.base_dir)
    if limit is not None:
        settings = _with_limit(settings, limit, kind.name)
    result = kind.run(settings, suite.data_path(data), progress or Silent())
    result.suite = suite.name
    result.directions = {name: "lower" for name in result.metrics if kind.direction(name) == "lower"}
    result.thresholds = {name: bound for name, bound in suite.thresholds().items()
                         if name in result.metrics}
    return result


def _with_limit(settings: BaseModel, limit: int, kind: str) -> BaseModel:
    """`settings` with `--limit` in place of its `limit`, validated like the suite's own."""
    if "limit" not in type(settings).model_fields:
        raise ConfigError(f"--limit: a {kind} eval has no limit\n    fix: leave --limit out")
    try:
        return type(settings).model_validate({**settings.model_dump(), "limit": limit})
    except ValidationError as exc:
        raise ConfigError(f"--limit {limit}: {exc.errors()[0]['msg']}\n"
                          "    fix: give a positive number of items") from None

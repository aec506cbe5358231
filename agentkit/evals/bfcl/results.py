"""What a BFCL run produces: per-item records, per-category figures, the whole run."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from statistics import fmean
from typing import Literal

from pydantic import BaseModel, Field, ValidationError

from agentkit.errors import AgentkitError
from agentkit.evals.bfcl.records import Call


class ItemResult(BaseModel):
    """One item: the calls the model made, whether they were valid and correct, why not.

    `valid`: every call parsed and fits its function's schema. `correct`: BFCL's AST
    check passed. `error`: what was invalid or wrong (None when valid and correct).
    `invalid_calls`: the source of calls that did not parse; `text`: the reply's text.
    """

    id: str
    category: str
    calls: list[Call]
    invalid_calls: list[str] = Field(default_factory=list)
    text: str = ""
    valid: bool
    correct: bool
    error: str | None = None
    latency_s: float = Field(ge=0)


class CategoryScore(BaseModel):
    """Figures for one category (or `all`): rates are fractions in [0, 1]."""

    category: str
    n: int
    valid_rate: float = Field(ge=0, le=1)
    accuracy: float = Field(ge=0, le=1)
    mean_latency_s: float = Field(ge=0)


class BfclRun(BaseModel):
    """A whole run: settings, per-category figures, all items (the `--json` file)."""

    benchmark: Literal["bfcl"] = "bfcl"
    model: str
    constrained: bool
    data: str
    limit: int | None
    created: datetime = Field(default_factory=lambda: datetime.now(timezone.utc))
    categories: list[CategoryScore]
    overall: CategoryScore
    items: list[ItemResult]

    @classmethod
    def from_results(
        cls, results: Sequence[ItemResult], *, model: str, constrained: bool, data: Path,
        limit: int | None,
    ) -> BfclRun:
        """Summarize item results per category (in first-seen order) and overall."""
        by_category: dict[str, list[ItemResult]] = {}
        for result in results:
            by_category.setdefault(result.category, []).append(result)
        return cls(
            model=model, constrained=constrained, data=str(data), limit=limit,
            categories=[score(name, group) for name, group in by_category.items()],
            overall=score("all", results),
            items=list(results),
        )

    @property
    def mode(self) -> str:
        """`constrained` or `unconstrained` decoding."""
        return "constrained" if self.constrained else "unconstrained"

    def save(self, path: Path) -> None:
        """Write the run as indented JSON (folders created as needed)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.model_dump_json(indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> BfclRun:
        """Read a run written by `save` (clear error if it is not one)."""
        try:
            return cls.model_validate_json(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise AgentkitError(f"cannot read run file {path}: {exc.strerror}") from None
        except ValidationError as exc:
            raise AgentkitError(
                f"{path} is not a BFCL run file ({exc.error_count()} problems, first: "
                f"{'.'.join(map(str, exc.errors()[0]['loc']))}: {exc.errors()[0]['msg']})\n"
                "    fix: pass a file written by `agentkit eval bfcl --json`"
            ) from None


def score(category: str, results: Sequence[ItemResult]) -> CategoryScore:
    """n, valid rate, accuracy and mean latency of `results` (zeros when empty)."""
    n = len(results)
    return CategoryScore(
        category=category,
        n=n,
        valid_rate=sum(r.valid for r in results) / n if n else 0.0,
        accuracy=sum(r.correct for r in results) / n if n else 0.0,
        mean_latency_s=fmean(r.latency_s for r in results) if n else 0.0,
    )

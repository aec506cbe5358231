"""Tone as an eval kind: rewrite held-out ParaDetox items with each variant and score
style, meaning, fluency and the joint score J (one group per variant)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from agentkit.evals.kinds import EvalKind, Progress
from agentkit.evals.results import EvalResult, ItemRecord
from agentkit.errors import ConfigError
from agentkit.evals.tone import FIXED, pick_items, rewrites, variant_label
from agentkit.evals.tone_html import write_tone_html
from agentkit.tone.data import DEFAULT_FRACTION, DEFAULT_SEED, load_pairs
from agentkit.tone.scoring import METRICS, ToneScorer, mean_scores


class ToneSettings(BaseModel):
    """How a tone suite runs. `variants`: copy, base, prompted, or adapters (a folder path
    or the name of a shipped adapter)."""

    model_config = ConfigDict(extra="forbid")

    variants: list[str] = Field(default_factory=lambda: ["copy", "base", "prompted"], min_length=1)
    split: Literal["heldout", "all"] = Field("heldout", description="heldout: the split by seed; all: every item")
    seed: int = DEFAULT_SEED
    fraction: float = Field(DEFAULT_FRACTION, gt=0, le=1, description="share of items in the held-out split")
    limit: int | None = Field(30, ge=1, description="at most N items (the first N of the split)")
    shots: int = Field(3, ge=0, description="few-shot examples of `prompted` (from outside the split)")
    model: str | None = Field(None, description="base model: local HF folder, .gguf or hub id (default: SmolLM2)")
    max_tokens: int = Field(64, ge=1, description="most tokens per rewrite")
    batch: int = Field(8, ge=1, description="rewrites generated at once")

    @field_validator("variants")
    @classmethod
    def _distinct(cls, variants: list[str]) -> list[str]:
        labels = [variant_label(v) for v in variants]
        for label in labels:
            if labels.count(label) > 1:
                raise ValueError(f"variant {label!r} is given twice; list each variant once")
        for v in variants:
            if not v.strip():
                raise ValueError("a variant is empty; use copy, base, prompted or an adapter path/name")
        return variants


def run(settings: BaseModel, data: Path, progress: Progress) -> EvalResult:
    """Rewrite the chosen items with every variant, then score them all."""
    assert isinstance(settings, ToneSettings)
    items, examples = pick_items(load_pairs(data), settings.split, settings.seed, settings.fraction,
                                 settings.limit, settings.shots)
    if "prompted" in settings.variants and settings.shots and not examples:
        raise ConfigError(f"tone data {data}: no item outside the evaluated ones has a rewrite to use as a "
                          "few-shot example\n    fix: give more data, or set shots to 0")
    for variant in settings.variants:
        if variant not in FIXED:
            from agentkit.models.adapters import adapter_folder

            adapter_folder(variant)  # a missing folder fails now, not after the other variants ran
    scorer = ToneScorer(fluency_model=settings.model)
    metrics: dict[str, float] = {}
    records: list[ItemRecord] = []
    timings: dict[str, float] = {}
    for variant in settings.variants:
        label = variant_label(variant)
        progress.start(label, len(items))
        started = time.perf_counter()
        texts = rewrites(variant, items, examples, model=settings.model, max_tokens=settings.max_tokens,
                         batch=settings.batch, progress=lambda n, task=label: progress.advance(task, n))
        seconds = time.perf_counter() - started
        timings[f"{label}/rewrite"] = seconds
        started = time.perf_counter()
        scores = scorer.score([i.toxic for i in items], texts, [i.neutral for i in items])
        timings[f"{label}/score"] = time.perf_counter() - started
        means = mean_scores(scores)
        metrics |= {f"{label}/{name}": value for name, value in means.items()}
        metrics[f"{label}/mean_seconds"] = seconds / len(items)
        progress.log(f"{label}: J {means['joint']:.3f}, style {means['style']:.3f}, "
                     f"meaning {means['meaning']:.3f}, fluency {means['fluency']:.3f}")
        records += [ItemRecord(id=item.id, group=label, input={"source": item.toxic}, output={"rewrite": text},
                               expected={"references": item.neutral},
                               scores=s.model_dump(exclude_none=True), latency_s=seconds / len(items))
                    for item, text, s in zip(items, texts, scores, strict=True)]
    models = {"scorer": "agentkit tone classifier + all-MiniLM-L6-v2 + SmolLM2 fluency"}
    if any(v != "copy" for v in settings.variants):
        models["rewriter"] = settings.model or "SmolLM2-135M-Instruct (bundled)"
    return EvalResult(suite="tone", kind="tone", config={"data": str(data), **settings.model_dump(),
                                                         "examples": [e.id for e in examples]},
                      models=models, metrics=metrics, timings=timings, items=records)


KIND = EvalKind(name="tone", settings=ToneSettings, base_metrics=(*METRICS, "mean_seconds"),
                lower_is_better=frozenset({"mean_seconds"}), run=run, html=write_tone_html)

"""BFCL as an eval kind: settings, and a run turned into the common result format."""

from __future__ import annotations

import time
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from agentkit.evals.bfcl.loading import load_bfcl
from agentkit.evals.bfcl.records import BfclItem
from agentkit.evals.bfcl.results import BfclRun, CategoryScore, ItemResult, score
from agentkit.evals.kinds import EvalKind, Progress
from agentkit.evals.results import EvalResult, ItemRecord
from agentkit.models.config import ChatModelConfig, EngineKind, QuantLevel

METRICS = ("accuracy", "valid_rate", "mean_latency_s")


class BfclSettings(BaseModel):
    """How a BFCL suite runs."""

    model_config = ConfigDict(extra="forbid")

    categories: list[str] | None = Field(default=None, description="default: all in the data")
    limit: int | None = Field(default=None, ge=1, description="at most N items per category")
    constrain: bool = Field(default=True, description="grammar-constrained tool calls")
    model: str | None = Field(default=None, description="chat model (default: bundled SmolLM2)")
    engine: EngineKind = Field(default="auto", description="local engine: auto, llama_cpp or transformers")
    quant: QuantLevel | None = Field(default=None, description="GGUF level on llama.cpp (default: the file's)")
    adapter: str | None = Field(default=None, description="LoRA adapter answering: a shipped name or a folder")
    max_tokens: int = Field(default=ChatModelConfig().max_tokens, ge=1)


def run(settings: BaseModel, data: Path, progress: Progress) -> EvalResult:
    """Load the items, ask the model each one, score per category and overall."""
    assert isinstance(settings, BfclSettings)
    items = load_bfcl(data, settings.categories, settings.limit)
    from agentkit.evals.bfcl.running import model_label, run_bfcl  # loads langchain
    from agentkit.models.factory import get_chat_model  # loads torch

    started = time.perf_counter()
    adapters = {} if settings.adapter is None else {"answering": settings.adapter}
    llm = get_chat_model(ChatModelConfig(model=settings.model, max_tokens=settings.max_tokens, engine=settings.engine,
                                         quant=settings.quant, adapters=adapters))
    if adapters:
        llm = llm.with_adapter("answering")
    loaded = time.perf_counter()
    mode = "constrained" if settings.constrain else "unconstrained"
    results: list[ItemResult] = []
    by_category: dict[str, list[ItemResult]] = {}
    progress.start(mode, len(items))
    for result in run_bfcl(llm, items, constrain=settings.constrain):
        if results and result.category != results[-1].category:
            progress.log(_category_line(by_category[results[-1].category]))
        results.append(result)
        by_category.setdefault(result.category, []).append(result)
        figures = score(result.category, by_category[result.category])
        progress.advance(mode, note=f"{result.category} acc {figures.accuracy:.2f}")
    if results:
        progress.log(_category_line(by_category[results[-1].category]))
    failed = [r for r in results if r.error and r.error.startswith("model error")]
    if failed:
        progress.log(f"warning: the model failed on {len(failed)} item(s), e.g. "
                     f"{failed[0].id}: {failed[0].error}")
    bfcl = BfclRun.from_results(results, model=model_label(llm), constrained=settings.constrain,
                                data=data, limit=settings.limit)
    result = to_result(bfcl, items)
    result.timings = {"model_load": loaded - started, "run": time.perf_counter() - loaded}
    result.config = {"data": str(data), **settings.model_dump()}
    return result


def to_result(run: BfclRun, items: list[BfclItem] | None = None) -> EvalResult:
    """A BFCL run in the common format (`items`, when given, add questions and answers)."""
    by_id = {item.id: item for item in items or []}
    metrics: dict[str, float] = {}
    for figures in [run.overall, *run.categories]:
        prefix = "" if figures is run.overall else f"{figures.category}/"
        metrics |= _figures(figures, prefix)
    return EvalResult(
        suite="bfcl", kind="bfcl", created=run.created,
        config={"data": run.data, "limit": run.limit, "constrain": run.constrained},
        models={"chat": run.model}, metrics=metrics,
        items=[_record(r, by_id.get(r.id)) for r in run.items],
    )


def _figures(figures: CategoryScore, prefix: str) -> dict[str, float]:
    return {f"{prefix}{name}": float(getattr(figures, name)) for name in METRICS} | {
        f"{prefix}n": float(figures.n)}


def _record(result: ItemResult, item: BfclItem | None) -> ItemRecord:
    return ItemRecord(
        id=result.id, group=result.category,
        input={"messages": [m.model_dump() for m in item.messages],
               "functions": [f.name for f in item.functions]} if item else None,
        output={"calls": [c.model_dump() for c in result.calls], "text": result.text,
                "invalid_calls": result.invalid_calls},
        expected={"expect": item.expect, "calls": [c.model_dump() for c in item.ground_truth]}
        if item else None,
        scores={"valid": float(result.valid), "correct": float(result.correct)},
        latency_s=result.latency_s, error=result.error,
    )


def _category_line(category: list[ItemResult]) -> str:
    """One category's figures (`category`: its results so far)."""
    name = category[0].category
    figures = score(name, category)
    return (f"{name}: n={figures.n} valid_rate={figures.valid_rate:.3f} "
            f"accuracy={figures.accuracy:.3f} mean latency {figures.mean_latency_s:.1f}s")


KIND = EvalKind(name="bfcl", settings=BfclSettings, base_metrics=(*METRICS, "n"),
                lower_is_better=frozenset({"mean_latency_s"}), run=run)

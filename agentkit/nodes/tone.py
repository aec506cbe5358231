"""Node kind `check_tone`: score a rewrite against its source with the tone evaluator
(`agentkit.tone`) and route `pass` or `fail` by thresholds (e.g. retry a rewrite once)."""

from __future__ import annotations

from typing import Any

from langchain_core.runnables import RunnableConfig
from pydantic import BaseModel, ConfigDict, Field

from agentkit.engine.context import CheckContext, NodeContext
from agentkit.engine.refs import Channel
from agentkit.engine.registry import NodeFunction, node_kind
from agentkit.spec.models import ROUTE_CHANNEL
from agentkit.text import text_of


class CheckToneParams(BaseModel):
    """Parameters of a `check_tone` node. Scores are in [0, 1]; a bound left unset is not checked."""

    model_config = ConfigDict(extra="forbid")

    source: Channel = Field(description="channel with the original text")
    rewrite: Channel = Field(description="channel with the rewrite to check")
    scores: Channel | None = Field("tone", description="dict channel for the scores and the failed checks")
    min_style: float | None = Field(0.5, ge=0, le=1, description="least 1 - P(toxic)")
    min_meaning: float | None = Field(0.4, ge=0, le=1, description="least MiniLM cosine to the source")
    min_fluency: float | None = Field(0.5, ge=0, le=1, description="least fluency")
    min_politeness: float | None = Field(None, ge=0, le=1, description="least P(polite)")
    min_formality: float | None = Field(None, ge=0, le=1, description="least P(formal)")
    min_joint: float | None = Field(None, ge=0, le=1, description="least style x meaning x fluency")

    def bounds(self) -> dict[str, float]:
        """Score name -> least value, for the bounds that are set."""
        return {name.removeprefix("min_"): value for name, value in self.model_dump().items()
                if name.startswith("min_") and value is not None}


def _check(params: CheckToneParams, ctx: CheckContext) -> Any:
    if params.source == params.rewrite:
        yield ("rewrite",), "the rewrite is read from the source channel, so it is always a copy", \
            "point `rewrite:` at the channel the rewrite node writes"
    if not params.bounds():
        yield ("min_style",), "no threshold is set, so every rewrite passes", \
            "set at least one of min_style, min_meaning, min_fluency, min_politeness, min_formality, min_joint"


@node_kind("check_tone", route_labels=lambda params: ["pass", "fail"], check=_check)
def check_tone_node(params: CheckToneParams, ctx: NodeContext) -> NodeFunction:
    """Score the rewrite (style, politeness, formality, meaning, fluency, joint) and route
    `pass` when every set bound holds, else `fail` (an empty rewrite fails)."""
    from agentkit.tone.scoring import ToneScorer

    scorer = ToneScorer()
    bounds = params.bounds()

    def run(state: dict[str, Any], config: RunnableConfig) -> dict[str, Any]:
        source = text_of(state.get(params.source)).strip()
        rewrite = text_of(state.get(params.rewrite)).strip()
        if rewrite:
            scores = scorer.score([source], [rewrite])[0].model_dump(exclude_none=True)
            failed = [name for name, least in bounds.items() if scores[name] < least]
        else:
            scores, failed = {}, ["empty rewrite"]
        update: dict[str, Any] = {ROUTE_CHANNEL: "fail" if failed else "pass"}
        if params.scores:
            update[params.scores] = {**scores, "failed": failed}
        return update

    return run

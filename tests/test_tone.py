"""The tone evaluator: the shipped classifier, meaning / fluency / J on known pairs, the
held-out split, and the `check_tone` node routing with the real models."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, TypedDict

import pytest
from langchain_core.runnables import RunnableConfig

from agentkit import load_graph, make_node
from agentkit.tone import ToneScorer, in_heldout, load_pairs, mean_scores
from agentkit.tone.classifier import classify, embed, load_weights
from conftest import REPO

FIXTURE = REPO / "tests/data/tone/pairs.jsonl"
RUDE = ["you are a complete idiot , shut up and stop posting this garbage",
        "what a stupid pathetic loser , nobody cares about your crap"]
POLITE = ["Thank you so much for your help, I really appreciate the time you spent on this.",
          "Could you please take a look at my request when you have a moment? Thanks!"]


def test_shipped_weights_record_held_out_accuracy() -> None:
    weights = load_weights()
    assert set(weights.heads) == {"toxicity", "politeness", "formality"}
    for head in weights.heads.values():
        assert len(head.weights) == 384 and head.heldout_rows > 500
        assert head.heldout_accuracy > 0.65
    assert weights.heads["toxicity"].heldout_accuracy > 0.85
    assert weights.fluency.heldout_accuracy > 0.8


def test_classifier_separates_rude_from_polite() -> None:
    axes = classify(embed(RUDE + POLITE))
    toxic, polite = axes["toxicity"], axes["politeness"]
    assert max(toxic[2:]) < 0.2 < 0.8 < min(toxic[:2]), toxic
    assert min(polite[2:]) > 0.7 > 0.3 > max(polite[:2]), polite


def test_copy_keeps_meaning_but_not_style_and_a_rewrite_scores_higher() -> None:
    source = [RUDE[0], "this stupid article is garbage written by morons"]
    rewrite = ["I disagree with you; please stop posting this.", "I think this article is poorly written."]
    scorer = ToneScorer()
    copied = scorer.score(source, source, [[r] for r in rewrite])
    rewritten = scorer.score(source, rewrite, [[r] for r in rewrite])
    for s in copied:
        assert s.meaning > 0.99 and s.style < 0.1 and s.joint < 0.1
    for s in rewritten:
        assert s.style > 0.8 and 0.3 < s.meaning < 0.95 and s.fluency > 0.8
        assert s.meaning_ref == pytest.approx(1.0, abs=1e-3)
        assert s.joint == pytest.approx(s.style * s.meaning * s.fluency)
    assert mean_scores(rewritten)["joint"] > mean_scores(copied)["joint"] + 0.2


def test_word_salad_is_not_fluent() -> None:
    text = "Could you please review the report before the meeting on Friday?"
    salad = "meeting review Friday the Could on report the please before you?"
    fluent, shuffled = ToneScorer().score([text, text], [text, salad])
    assert fluent.fluency > 0.8 > 0.3 > shuffled.fluency


def test_held_out_split_is_stable_and_near_its_fraction() -> None:
    ids = [f"paradetox_{n}" for n in range(4000)]
    held = [i for i in ids if in_heldout(i)]
    assert 0.04 < len(held) / len(ids) < 0.06
    assert held == [i for i in reversed(ids) if in_heldout(i)][::-1]
    assert {i for i in ids if in_heldout(i, seed=1)} != set(held)
    assert all(in_heldout(item.id) for item in load_pairs(FIXTURE))


class State(TypedDict, total=False):
    message: str
    rewrite: str
    tone: dict[str, Any]
    route: str


@pytest.mark.parametrize("rewrite, label, failed", [
    ("Your arguments are not convincing; please explain them.", "pass", []),
    ("your arguments are idiotic and you are a moron", "fail", ["style"]),
    ("Thank you, have a nice weekend!", "fail", ["meaning"]),
    ("", "fail", ["empty rewrite"]),
])
def test_check_tone_routes(rewrite: str, label: str, failed: list[str]) -> None:
    node = make_node("check_tone", state=State, source="message", rewrite="rewrite", scores="tone")
    update = node({"message": "your arguments are idiotic , explain them or shut up", "rewrite": rewrite},
                  RunnableConfig())
    assert update["route"] == label
    assert update["tone"]["failed"] == failed
    if rewrite:
        assert set(update["tone"]) >= {"style", "meaning", "fluency", "joint", "politeness", "formality"}


def test_check_tone_routes_a_compiled_graph(workspace: Path) -> None:
    (workspace / "tools").mkdir()
    shutil.copy(REPO / "tools/calculator.py", workspace / "tools")
    (workspace / "graph.yaml").write_text("""name: t
input: message
output: rewrite
state: {message: str, rewrite: str, tone: dict, verdict: str}
nodes:
  check: {kind: check_tone, source: message, rewrite: rewrite, min_politeness: 0.5}
  mark: {kind: tool, tool: calculator, args: {expression: "1+1"}, output: verdict}
edges:
  - [START, check]
  - from: check
    routes: {pass: END, fail: mark}
  - [mark, END]
""", encoding="utf-8")
    graph = load_graph(workspace / "graph.yaml")
    rude = graph.invoke({"message": "fix this garbage now", "rewrite": "fix this garbage now , idiot"})
    kind = graph.invoke({"message": "fix this garbage now",
                         "rewrite": "Could you please fix this as soon as possible? Thank you!"})
    assert (rude["route"], rude["tone"]["failed"][:1], rude.get("verdict")) == ("fail", ["style"], "2")
    assert (kind["route"], kind["tone"]["failed"], kind.get("verdict")) == ("pass", [], None)

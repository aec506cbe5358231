"""Few-shot prompt optimization: search on a training split, gain measured on a dev split."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Sequence

import pytest
from langchain_core.messages import BaseMessage
from typer.testing import CliRunner

from agentkit.cli.app import app
from agentkit.errors import ConfigError
from agentkit.prompts import Prompt, PromptStore
from agentkit.prompts.optimize import Labeled, load_labeled, optimize_fewshot, split

POLITE = ["Could you please help me with this?", "Thank you so much, would you mind checking?",
          "Would you kindly review my edit?", "Please, if you have time, take a look. Thanks!",
          "I would really appreciate your help here.", "Sorry to bother you, could you explain?"]
RUDE = ["Fix this now.", "Why did you break it again?", "Stop reverting my stuff.",
        "This is wrong, obviously.", "Answer me already.", "Who told you to change that?"]
ROWS = [Labeled(text=t, label="polite") for t in POLITE] + [Labeled(text=t, label="impolite") for t in RUDE]
JUDGE = Prompt(name="judge", system="Answer polite or impolite.", template="Request: {text}\nPolite or impolite?")


class ExampleSensitiveJudge:
    """Says 'polite' for everything unless its prompt shows an 'impolite' example first."""

    def choose(self, messages: Sequence[BaseMessage], options: list[str]) -> str:
        shown_rude = any(m.type == "ai" and m.content == "impolite" for m in messages)
        text = str(messages[-1].content)
        return "polite" if not shown_rude or any(w in text for w in ("please", "Please", "Thank", "kindly",
                                                                        "appreciate", "Sorry")) else "impolite"


def test_search_keeps_the_best_candidate_and_measures_dev() -> None:
    train, dev = ROWS[::2] + ROWS[1:6:2], ROWS[7::2] + ROWS[6:7]
    result = optimize_fewshot(ExampleSensitiveJudge(), JUDGE, train, dev, ["polite", "impolite"],
                              k=2, trials=3, train_eval=4, seed=1)
    assert len(result.trials) == 4 and result.trials[0].examples == []
    assert max(t.train_accuracy for t in result.trials) == next(
        t.train_accuracy for t in result.trials if t.examples == result.best.examples)
    assert result.best_dev_accuracy >= result.original_dev_accuracy
    assert result.best.label == "fewshot-k2-seed1" and result.best.template == JUDGE.template
    assert {e.assistant for e in result.best.examples} <= {"polite", "impolite"}


def test_data_errors_are_clear(tmp_path: Path) -> None:
    data = tmp_path / "rows.jsonl"
    data.write_text('{"text": "hi", "label": "polite"}\nnot json\n')
    with pytest.raises(ConfigError, match=r"rows.jsonl:2: expected a JSON object"):
        load_labeled(data, "text", "label", ["polite"])
    with pytest.raises(ConfigError, match="asked for 10 train"):
        split(ROWS, 10, 10, seed=0)
    with pytest.raises(ConfigError, match="must be larger than train_eval"):
        optimize_fewshot(ExampleSensitiveJudge(), JUDGE, ROWS[:4], ROWS[4:], ["polite", "impolite"], train_eval=4)


def test_cli_with_the_local_model_saves_a_new_version(workspace: Path) -> None:
    store = PromptStore(workspace / "prompts")
    original = store.save(JUDGE)
    data = workspace / "rows.jsonl"
    data.write_text("".join(json.dumps({"request": r.text, "tone": r.label}) + "\n" for r in ROWS))
    result = CliRunner().invoke(app, ["optimize", "judge", "--data", str(data), "--labels", "polite,impolite",
                                      "--text-key", "request", "--label-key", "tone", "--k", "2", "--trials", "1",
                                      "--train", "8", "--train-eval", "4", "--dev", "4"])
    assert result.exit_code == 0, result.output
    assert "dev accuracy: original" in result.output
    assert len(store.versions("judge")) in (1, 2)
    current = store.current("judge")
    assert store.get(f"judge@{original.version}") == original
    assert current.label == "fewshot-k2-seed0"

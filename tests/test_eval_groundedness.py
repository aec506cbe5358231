"""`agentkit eval groundedness` on a small HaluEval-format file the test writes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agentkit.cli.app import app
from agentkit.evals.groundedness import auc
from conftest import REPO

runner = CliRunner()
ITEMS = [
    {"id": "q1", "question": "Which city is the head office of the Oberoi Group in?",
     "context": "The Oberoi Group is a hotel company with its head office in Delhi.",
     "reference_answer": "Delhi", "hallucinated_answer_one_turn": "Mumbai, the financial capital of India.",
     "hallucinated_answer_multi_turn": "The Oberoi Group has no head office."},
    {"id": "q2", "question": "Which magazine was started first, Arthur's Magazine or First for Women?",
     "context": "Arthur's Magazine (1844-1846) was an American literary periodical. "
                "First for Women is a woman's magazine published by Bauer Media Group in the USA since 1989.",
     "reference_answer": "Arthur's Magazine", "hallucinated_answer_one_turn": "First for Women was started first in 1950.",
     "hallucinated_answer_multi_turn": "Neither; both started in 1900 in London."},
]


def test_auc_by_hand() -> None:
    assert auc([0.9, 0.5], [0.1, 0.5]) == (1 + 1 + 1 + 0.5) / 4


def test_checker_and_self_rag_answers_with_the_real_model(workspace: Path) -> None:
    data = workspace / "qa.jsonl"
    data.write_text("".join(json.dumps(item) + "\n" for item in ITEMS))
    shutil.copytree(REPO / "graphs", workspace / "graphs")
    result = runner.invoke(app, ["eval", "groundedness", "--data", str(data), "--limit", "2", "--json", "out.json"])
    assert result.exit_code == 0, result.output
    report = json.loads((workspace / "out.json").read_text())
    metrics = report["metrics"]
    assert metrics["checker/auc_one_turn"] == 1.0 and metrics["checker/auc_multi_turn"] == 1.0
    assert metrics["checker/reference_passing"] == 1.0
    checker = [i for i in report["items"] if i["group"] == "checker"]
    assert [i["id"] for i in checker] == ["q1", "q2"]
    assert all(i["scores"]["reference"] > i["scores"]["one_turn"] for i in checker)
    assert metrics["answers/n"] == 2 and metrics["answers/retrieval_hit_rate"] == 1.0
    answers = [i for i in report["items"] if i["group"] == "answers"]
    for record in answers:
        answer, scores = record["output"]["answer"], record["scores"]
        assert answer and record["latency_s"] > 0
        assert scores["quoted"] == float(answer.startswith("The documents say:"))
        assert scores["answered"] == float(scores["grounding"] >= 0.8 or scores["quoted"] == 1.0)
    assert metrics["answers/answered_rate"] == pytest.approx(
        metrics["answers/generated_grounded_rate"] + metrics["answers/quoted_rate"])


def test_a_malformed_line_is_named(workspace: Path) -> None:
    data = workspace / "qa.jsonl"
    data.write_text(json.dumps(ITEMS[0]) + "\n{\"id\": \"q2\"}\n")
    result = runner.invoke(app, ["eval", "groundedness", "--data", str(data), "--limit", "0"])
    assert result.exit_code == 1 and "qa.jsonl:2: not a HaluEval QA record" in " ".join(result.output.split())
    assert "Traceback" not in result.output

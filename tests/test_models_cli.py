"""`agentkit generate`: tokenize -> forward -> decode on the real local model."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from agentkit.cli.generate import generate_command
from agentkit.models.adapters import host_for, shipped_adapters
from agentkit.models.decoding import Decoder
from agentkit.models.inspection import greedy_steps, tokenize
from agentkit.models.loading import shared_model

pytestmark = pytest.mark.model


@pytest.fixture
def cli(model_cache: Path) -> typer.Typer:
    app = typer.Typer()
    app.command()(generate_command)
    return app


def test_generate_shows_tokens_top5_and_text(cli: typer.Typer) -> None:
    result = CliRunner().invoke(
        cli, ["What is the capital of France?", "--chat", "--show-tokens", "--max-tokens", "8"]
    )
    assert result.exit_code == 0, result.output
    out = result.output
    assert "37 prompt tokens" in out
    assert "4649" in out and "'<|im_start|>'" in out  # prompt ids and pieces (' France')
    assert "top-5" in out and "' Paris'" in out
    assert out.rstrip().splitlines()[-1] == "The capital of France is Paris."


def test_generate_without_chat_continues_raw_text(cli: typer.Typer) -> None:
    result = CliRunner().invoke(cli, ["The capital of France is", "--max-tokens", "2"])
    assert result.exit_code == 0, result.output
    assert "5 prompt tokens" in result.output
    assert "<|im_start|>" not in result.output


def test_greedy_steps_stop_at_end_of_turn_and_rank_top_k(model_cache: Path) -> None:
    loaded = shared_model()
    prompt = [t.id for t in tokenize(loaded, "What is the capital of France?", chat=True)]
    steps = list(greedy_steps(loaded, prompt, max_new_tokens=30, top_k=5))
    assert steps[-1].chosen.id in loaded.eos_ids and len(steps) < 30
    for step in steps:
        assert step.top[0][0] == step.chosen and len(step.top) == 5
        probs = [p for _, p in step.top]
        assert probs == sorted(probs, reverse=True) and 0 < sum(probs) <= 1.0001


def test_greedy_steps_run_the_base_even_after_another_call_left_an_adapter_active(model_cache: Path) -> None:
    loaded = shared_model()
    prompt = [t.id for t in tokenize(loaded, "Write a short note to a colleague.", chat=True)]
    base_steps = [s.chosen.id for s in greedy_steps(loaded, prompt, max_new_tokens=6)]
    host = host_for(loaded, None)
    polite = host.load(shipped_adapters()["polite_tone"])
    with host.use(polite):  # as a call with the adapter leaves the shared model
        adapted = Decoder(loaded, [prompt]).prompt_logits()
    with host.use(None):
        base = Decoder(loaded, [prompt]).prompt_logits()
    assert not adapted.allclose(base)  # the adapter really changes the model
    with host.use(polite):
        pass
    assert [s.chosen.id for s in greedy_steps(loaded, prompt, max_new_tokens=6)] == base_steps


def test_bad_model_reference_exits_with_a_message(cli: typer.Typer) -> None:
    result = CliRunner().invoke(cli, ["hi", "--model", "/no/such/model.gguf"])
    assert result.exit_code == 1
    assert "leave model unset" in result.output

"""The `rewrite` node and graphs/tone.yaml, with a tiny real adapter in place of polite_tone."""

from __future__ import annotations

from pathlib import Path

import pytest
from tiny_adapters import make_adapter

from agentkit.engine.compiler import load_graph
from agentkit.engine.runner import run_graph
from agentkit.engine.validate import validate_spec
from agentkit.models.local_chat import LocalChatModel
from agentkit.nodes.rewrite import RewriteParams
from agentkit.tone.rewriting import RewriteExample, rewrite_messages
from agentkit.spec.loader import load_spec

REPO = Path(__file__).resolve().parents[1]
MESSAGE = "this report is garbage, fix it by friday"


def test_tone_graph_is_valid() -> None:
    assert validate_spec(load_spec(REPO / "graphs" / "tone.yaml")) == []


def test_tone_graph_rewrites_with_its_adapter(workspace: Path) -> None:
    folder = make_adapter(workspace / "polite", seed=5)
    graph = workspace / "tone.yaml"
    text = (REPO / "graphs" / "tone.yaml").read_text().replace("polite: polite_tone", "polite: ./polite")
    graph.write_text(text.replace("max_tokens: 96", "max_tokens: 12"))
    updates = list(load_graph(graph).stream({"message": MESSAGE}, stream_mode="updates"))
    params = RewriteParams.model_validate(load_spec(graph).nodes["polish"].params)
    model = LocalChatModel(max_tokens=12, adapters={"polite": str(folder)}).with_adapter("polite")
    expected = model.invoke(rewrite_messages(MESSAGE, params.style, params.examples)).text.strip()
    assert updates[0]["polish"]["rewrite"] == expected and expected
    assert expected != LocalChatModel(max_tokens=12).invoke(rewrite_messages(MESSAGE, params.style, params.examples)).text.strip()
    # the evaluator checks the rewrite; a failed check gets exactly one more (sampled) attempt
    checked = updates[1]["check"]["tone"]
    assert {"style", "meaning", "fluency", "joint", "failed"} <= set(checked)
    steps = [next(iter(update)) for update in updates]
    assert steps == (["polish", "check", "retry", "recheck"] if checked["failed"] else ["polish", "check"])


def test_rewrite_prompt_is_style_then_examples_then_text() -> None:
    messages = rewrite_messages("hey you", "Be kind.", [RewriteExample(source="rude", rewrite="kind")])
    assert [(m.type, m.text) for m in messages] == [
        ("system", "Be kind."), ("human", "rude"), ("ai", "kind"), ("human", "hey you")]


@pytest.mark.parametrize("message", ["", "   "])
def test_empty_input_rewrites_to_empty(workspace: Path, message: str) -> None:
    graph = workspace / "tone.yaml"
    text = (REPO / "graphs" / "tone.yaml").read_text().replace("adapters: {polite: polite_tone}", "")
    graph.write_text(text.replace("    adapter: polite\n", ""))
    assert run_graph(graph, message, trace=False).answer == ""

"""Two real LoRA adapters in one base model, switched per node in one graph run (no reload),
the spans naming the adapter that answered, and the tool_agent's default adapter."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import HumanMessage
from peft import PeftModel
from phoenix_server import fetch_spans
from tiny_adapters import make_adapter

from agentkit.engine.runner import run_graph
from agentkit.errors import ConfigError
from agentkit.models import adapters as adapter_module
from agentkit.models.completion import Completion
from agentkit.models.decoding import generate_tokens
from agentkit.models.loading import LoadedModel, _shared, load_model, shared_model
from agentkit.models.local_chat import LocalChatModel
from agentkit.models.prompting import render_prompt
from agentkit.observability.tracing import disable_tracing, enable_tracing, flush_traces

QUESTION = "Write one short sentence about the sea."
MAX_TOKENS = 10
GRAPH = """\
name: three_voices
input: question
output: base_answer
state: {{question: str, base_answer: str, alpha_answer: str, beta_answer: str}}
resources:
  llm: {{kind: chat_model, max_tokens: {max_tokens}, adapters: {{alpha: {alpha}, beta: {beta}}}}}
nodes:
  beta_node: {{kind: llm, llm: llm, adapter: beta, template: "{{question}}", output: beta_answer}}
  base_node: {{kind: llm, llm: llm, template: "{{question}}", output: base_answer}}
  alpha_node: {{kind: llm, llm: llm, adapter: alpha, template: "{{question}}", output: alpha_answer}}
edges: [[START, beta_node], [beta_node, base_node], [base_node, alpha_node], [alpha_node, END]]
"""


@pytest.fixture(scope="module")
def adapter_dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("adapters")
    return {"alpha": make_adapter(root / "alpha", seed=1), "beta": make_adapter(root / "beta", seed=2)}


def solo_answer(loaded: LoadedModel, question: str) -> str:
    """Greedy answer of `loaded` alone (its own copy of the weights)."""
    tokenizer = loaded.tokenizer
    prompt = tokenizer(render_prompt(tokenizer, [HumanMessage(question)]), add_special_tokens=False)["input_ids"]
    completion = Completion(tokenizer, loaded.eos_ids, [], MAX_TOKENS)
    for (token,) in generate_tokens(loaded, [prompt], MAX_TOKENS, 0.0):
        completion.add(token)
        if completion.finished:
            break
    return completion.text


@pytest.fixture(scope="module")
def solo(adapter_dirs: dict[str, Path]) -> dict[str, str]:
    """What the base model and each adapter alone answer, each in a fresh model."""
    answers = {"base": solo_answer(load_model(None), QUESTION)}
    for name, folder in adapter_dirs.items():
        fresh = load_model(None)
        PeftModel.from_pretrained(fresh.model, str(folder))  # LoRA layers injected into fresh.model
        answers[name] = solo_answer(fresh, QUESTION)
    return answers


@pytest.fixture(scope="module")
def traced_run(adapter_dirs: dict[str, Path], phoenix_server: str,
               tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, list[dict[str, Any]], dict[str, Any]]]:
    """One traced run of the three-node graph; the state, the spans and reload evidence."""
    workspace = tmp_path_factory.mktemp("ws")
    graph = workspace / "three_voices.yaml"
    graph.write_text(GRAPH.format(max_tokens=MAX_TOKENS, **adapter_dirs))
    loaded = shared_model(None, False)
    q_proj = loaded.model.model.layers[0].self_attn.q_proj
    weight = getattr(q_proj, "base_layer", q_proj).weight
    misses = _shared.cache_info().misses
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AGENTKIT_WORKSPACE", str(workspace))
        assert enable_tracing("agentkit-test-adapters", phoenix_server)
        try:
            result = run_graph(graph, QUESTION, trace=False)
            assert flush_traces()
            spans = fetch_spans(phoenix_server, "agentkit-test-adapters", count=7)
        finally:
            disable_tracing()
    q_after = shared_model(None, False).model.model.layers[0].self_attn.q_proj
    evidence = {"same_loaded": shared_model(None, False) is loaded, "misses": _shared.cache_info().misses - misses,
                "same_weight": q_after.base_layer.weight is weight}
    yield result, spans, evidence


def test_each_node_answers_as_its_adapter_alone(traced_run: Any, solo: dict[str, str]) -> None:
    result, _, _ = traced_run
    answers = {name: result.state[f"{name}_answer"] for name in ("base", "alpha", "beta")}
    assert answers == solo
    assert len(set(answers.values())) == 3, "the tiny adapters should change the greedy answer"


def test_switching_never_reloads_the_base_model(traced_run: Any) -> None:
    _, _, evidence = traced_run
    assert evidence == {"same_loaded": True, "misses": 0, "same_weight": True}


def test_llm_spans_name_the_adapter_that_answered(traced_run: Any) -> None:
    result, spans, _ = traced_run
    llm_spans = [s for s in spans if s["span_kind"] == "LLM"]
    by_answer = {s["attributes"]["llm.output_messages.0.message.content"]: s["attributes"] for s in llm_spans}
    for name in ("base", "alpha", "beta"):
        attributes = by_answer[result.state[f"{name}_answer"]]
        assert attributes["llm.adapter"] == name
        assert attributes["llm.model_name"] == "SmolLM2-135M-Instruct.Q4_1"
        assert f'"adapter": "{name}"' in attributes["llm.invocation_parameters"]


def test_threads_switching_adapters_each_get_their_own(adapter_dirs: dict[str, Path], solo: dict[str, str]) -> None:
    model = LocalChatModel(max_tokens=MAX_TOKENS, adapters={k: str(v) for k, v in adapter_dirs.items()})
    jobs = ["alpha", "beta", "base"] * 2
    got: dict[int, str] = {}

    def ask(i: int) -> None:
        got[i] = model.with_adapter(jobs[i]).invoke(QUESTION).text

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [got[i] for i in range(len(jobs))] == [solo[name] for name in jobs]


def test_call_option_and_base_only_pick_the_answering_model(adapter_dirs: dict[str, Path],
                                                              solo: dict[str, str]) -> None:
    model = LocalChatModel(max_tokens=MAX_TOKENS, adapters={k: str(v) for k, v in adapter_dirs.items()})
    reply = model.bind(adapter="beta").invoke(QUESTION)
    assert (reply.text, reply.response_metadata["adapter"]) == (solo["beta"], "beta")
    with adapter_module.base_only():
        reply = model.with_adapter("alpha").invoke(QUESTION)
    assert (reply.text, reply.response_metadata["adapter"]) == (solo["base"], "base")
    with pytest.raises(ConfigError, match=r"no adapter 'gamma' \(adapters: alpha, beta\)"):
        model.with_adapter("gamma")


def test_tool_agent_takes_the_shipped_tool_calls_adapter_when_it_fits(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, solo: dict[str, str]) -> None:
    base = LocalChatModel(max_tokens=MAX_TOKENS)
    monkeypatch.setattr(adapter_module, "SHIPPED_DIR", tmp_path / "none")
    assert base.with_adapter_if_fits("tool_calls") is base
    make_adapter(tmp_path / "other" / "tool_calls", seed=3, fingerprint="0" * 64)
    monkeypatch.setattr(adapter_module, "SHIPPED_DIR", tmp_path / "other")
    assert base.with_adapter_if_fits("tool_calls") is base  # trained on another base: not used
    make_adapter(tmp_path / "shipped" / "tool_calls", seed=1)  # same weights as alpha
    monkeypatch.setattr(adapter_module, "SHIPPED_DIR", tmp_path / "shipped")
    chosen = base.with_adapter_if_fits("tool_calls")
    assert chosen.adapter == "tool_calls" and chosen.adapters == {"tool_calls": "tool_calls"}
    assert chosen.invoke(QUESTION).text == solo["alpha"]

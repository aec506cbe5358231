"""Two real LoRA adapters in one base model, switched per node in one graph run (no reload),
the spans naming the adapter that answered, and the tool_agent's default adapter; on the
llama.cpp engine (adapters converted to GGUF LoRA, checked against peft) and on transformers."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import HumanMessage
import numpy as np
import torch
from llama_reference import reference_greedy, reference_logits
from peft import PeftModel
from phoenix_server import fetch_spans
from tiny_adapters import make_adapter

from agentkit.engine.runner import run_graph
from agentkit.errors import ConfigError
from agentkit.models import adapters as adapter_module
from agentkit.models import backends
from agentkit.models.completion import Completion
from agentkit.models.decoding import generate_tokens
from agentkit.models.loading import LoadedModel, load_model
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


def prompt_ids(tokenizer: Any, question: str) -> list[int]:
    return tokenizer(render_prompt(tokenizer, [HumanMessage(question)]), add_special_tokens=False)["input_ids"]


def solo_answer(loaded: LoadedModel, question: str) -> str:
    """Greedy answer of `loaded` alone with transformers (its own copy of the weights)."""
    completion = Completion(loaded.tokenizer, loaded.eos_ids, [], MAX_TOKENS)
    for (token,) in generate_tokens(loaded, [prompt_ids(loaded.tokenizer, question)], MAX_TOKENS, 0.0):
        completion.add(token)
        if completion.finished:
            break
    return completion.text


@pytest.fixture(scope="module")
def solo(adapter_dirs: dict[str, Path]) -> dict[str, str]:
    """What the base model and each adapter alone answer on llama.cpp (llama-cpp-python's own
    `Llama`, one sequence, the adapter's GGUF LoRA)."""
    prompt = prompt_ids(LocalChatModel().tokens.tokenizer, QUESTION)
    return {name: reference_greedy(prompt, MAX_TOKENS, adapter_dirs.get(name)) for name in ("base", *adapter_dirs)}


@pytest.fixture(scope="module")
def solo_transformers(adapter_dirs: dict[str, Path]) -> dict[str, str]:
    """The same with transformers, each in a fresh model with peft's LoRA layers."""
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
    engine = LocalChatModel().backend.engine
    made = backends._backend.cache_info().misses
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AGENTKIT_WORKSPACE", str(workspace))
        assert enable_tracing("agentkit-test-adapters", phoenix_server)
        try:
            result = run_graph(graph, QUESTION, trace=False)
            assert flush_traces()
            spans = fetch_spans(phoenix_server, "agentkit-test-adapters", count=7)
        finally:
            disable_tracing()
    evidence = {"same_engine": LocalChatModel().backend.engine is engine,
                "new_backends": backends._backend.cache_info().misses - made}
    yield result, spans, evidence


def test_each_node_answers_as_its_adapter_alone(traced_run: Any, solo: dict[str, str]) -> None:
    result, _, _ = traced_run
    answers = {name: result.state[f"{name}_answer"] for name in ("base", "alpha", "beta")}
    assert answers == solo
    assert len(set(answers.values())) == 3, "the tiny adapters should change the greedy answer"


def test_switching_never_reloads_the_base_model(traced_run: Any) -> None:
    _, _, evidence = traced_run
    assert evidence == {"same_engine": True, "new_backends": 0}


def test_the_gguf_lora_moves_the_logits_as_peft_does(adapter_dirs: dict[str, Path]) -> None:
    """The converted adapter changes llama.cpp's logits the way peft changes transformers'
    (q_proj rows permuted as llama.cpp orders them: without that, the correlation is ~0)."""
    base = load_model(None)
    prompt = prompt_ids(base.tokenizer, QUESTION)
    with torch.inference_mode():
        plain = base.model(torch.tensor([prompt])).logits[0, -1].float().numpy()
        tuned = PeftModel.from_pretrained(load_model(None).model, str(adapter_dirs["alpha"]))(
            torch.tensor([prompt])).logits[0, -1].float().numpy()
    gguf_delta = reference_logits(prompt, adapter_dirs["alpha"]) - reference_logits(prompt)
    assert float(np.corrcoef(tuned - plain, gguf_delta)[0, 1]) > 0.8


def test_llm_spans_name_the_adapter_that_answered(traced_run: Any) -> None:
    result, spans, _ = traced_run
    llm_spans = [s for s in spans if s["span_kind"] == "LLM"]
    by_answer = {s["attributes"]["llm.output_messages.0.message.content"]: s["attributes"] for s in llm_spans}
    for name in ("base", "alpha", "beta"):
        attributes = by_answer[result.state[f"{name}_answer"]]
        assert attributes["llm.adapter"] == name
        assert attributes["llm.model_name"] == "SmolLM2-135M-Instruct.Q4_1"
        assert f'"adapter": "{name}"' in attributes["llm.invocation_parameters"]


@pytest.mark.parametrize("engine", ["llama_cpp", "transformers"])
def test_threads_switching_adapters_each_get_their_own(adapter_dirs: dict[str, Path], solo: dict[str, str],
                                                       solo_transformers: dict[str, str], engine: str) -> None:
    """Concurrent calls with different adapters (one batch on llama.cpp, interleaved forward
    passes on transformers) each answer as their adapter alone."""
    model = LocalChatModel(max_tokens=MAX_TOKENS, engine=engine, adapters={k: str(v) for k, v in adapter_dirs.items()})
    alone = solo if engine == "llama_cpp" else solo_transformers
    jobs = ["alpha", "beta", "base"] * 2
    got: dict[int, str] = {}

    def ask(i: int) -> None:
        got[i] = model.with_adapter(jobs[i]).invoke(QUESTION).text

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [got[i] for i in range(len(jobs))] == [alone[name] for name in jobs]


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

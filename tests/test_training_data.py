"""The training-data builders (scripts/build_tool_calls_data.py, scripts/build_tone_data.py)
on tiny fixtures: each row's prompt is exactly what the real model is prompted with at
inference (bind_tools' rendering, the rewrite node's messages), targets are what the call
grammar admits and BFCL judges correct, and held-out splits never reach training."""

from __future__ import annotations

import importlib.util
import json
import random
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import llguidance
import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage

from agentkit.evals.bfcl.loading import load_bfcl
from agentkit.evals.bfcl.matching import check_calls
from agentkit.evals.bfcl.schema import tool_set
from agentkit.models import LocalChatModel
from agentkit.models.grammar import grammar_engine
from agentkit.models.prompting import render_prompt
from agentkit.models.tools import JSON_LINES
from agentkit.tone.rewriting import rewrite_messages
from agentkit.tone.data import load_pairs

ROOT = Path(__file__).resolve().parents[1]
BFCL = ROOT / "tests" / "data" / "bfcl"
PARADETOX = ROOT / "tests" / "data" / "training" / "paradetox"

pytestmark = pytest.mark.model


def _script(name: str) -> ModuleType:
    sys.path.insert(0, str(ROOT / "scripts"))
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


tool_data = _script("build_tool_calls_data")
tone_data = _script("build_tone_data")


@pytest.fixture(scope="module")
def chat() -> LocalChatModel:
    return LocalChatModel(max_tokens=1)


def _prompt_and_target(chat: LocalChatModel, row: dict[str, Any]) -> tuple[str, str]:
    tokenizer = chat.tokens.tokenizer
    *turns, answer = row["messages"]
    prompt = tokenizer.apply_chat_template(turns, tokenize=False, add_generation_prompt=True)
    whole = tokenizer.apply_chat_template(row["messages"], tokenize=False)
    assert answer["role"] == "assistant" and whole == prompt + answer["content"] + "<|im_end|>\n"
    return prompt, answer["content"]


def _prompt_bind_tools_renders(chat: LocalChatModel, tools: list[Any], messages: list[Any],
                               monkeypatch: pytest.MonkeyPatch, tool_choice: str = "auto") -> str:
    """The text the real model tokenizes when invoked with `tools` bound as the BFCL eval
    and tool_agent bind them (recorded on its way into the tokenizer)."""
    seen: list[str] = []
    original = LocalChatModel._tokenize

    def recording(self: LocalChatModel, text: str) -> list[int]:
        seen.append(text)
        return original(self, text)

    with monkeypatch.context() as patch:
        patch.setattr(LocalChatModel, "_tokenize", recording)
        chat.bind_tools(tools, tool_choice=tool_choice, parallel_tool_calls=True).invoke(messages)
    assert len(seen) == 1
    return seen[0]


def _grammar_admits(chat: LocalChatModel, tools: list[dict[str, Any]], text: str) -> bool:
    engine = grammar_engine(chat.tokens)
    grammar = tool_data.binding_for(tools).grammar(engine, JSON_LINES)
    matcher = llguidance.LLMatcher(engine.tokenizer, grammar.text)
    ids = chat.tokens.tokenizer(text, add_special_tokens=False)["input_ids"]
    return matcher.consume_tokens(ids) and matcher.is_accepting()


@pytest.mark.parametrize("category", ["simple_python", "parallel", "irrelevance", "simple_java"])
def test_bfcl_row_is_bind_tools_prompt_and_a_correct_call(
    chat: LocalChatModel, category: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    item = load_bfcl(BFCL, [category])[0]
    row = tool_data.bfcl_row(chat.tokens.tokenizer, item)
    prompt, target = _prompt_and_target(chat, row)
    tools = tool_set(item)
    messages = [HumanMessage(m.content) for m in item.messages]
    assert prompt == _prompt_bind_tools_renders(chat, tools.tools, messages, monkeypatch)
    assert _grammar_admits(chat, tools.tools, target)
    reply = tool_data.binding_for(tools.tools).parse(target, JSON_LINES)
    assert not reply.invalid_tool_calls
    calls = [tools.to_call(call["name"], call["args"]) for call in reply.tool_calls]
    assert check_calls(item, calls) is None
    if category == "irrelevance":
        assert not calls and reply.content == tool_data.NO_FIT_REPLY
    if category == "parallel":
        assert len(calls) == len(item.ground_truth) > 1


def test_generated_rows_cover_every_kind_in_bind_tools_format(
    chat: LocalChatModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    schemas = _script("tool_call_schemas")
    rng, seen = random.Random(3), {}
    while len(seen) < 4:
        made = schemas.example(rng)
        seen.setdefault(made.kind, made)
    for kind, made in seen.items():
        messages = [HumanMessage(made.question)]
        row = tool_data.render_row(chat.tokens.tokenizer, made.tools, messages, made.calls, made.text)
        prompt, target = _prompt_and_target(chat, row)
        assert prompt == _prompt_bind_tools_renders(chat, made.tools, messages, monkeypatch)
        assert _grammar_admits(chat, made.tools, target), kind
        reply = tool_data.binding_for(made.tools).parse(target, JSON_LINES)
        assert [(c["name"], c["args"]) for c in reply.tool_calls] == made.calls
        assert len(reply.tool_calls) == {"single": 1, "parallel": 2, "no_call": 0, "no_fit": 0}[kind]
        assert not reply.invalid_tool_calls and (made.calls or reply.content == made.text)



def test_own_tool_rows_are_tool_agents_prompt_and_the_questions_own_numbers(
    chat: LocalChatModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    own = _script("own_tool_calls")
    tools = tool_data.own_tools()
    rng, seen = random.Random(5), {}
    for _ in range(300):
        made = own.own_example(rng)
        assert made.question not in own.HELD_OUT_QUESTIONS
        seen.setdefault(made.kind, made)
        for name, args in made.calls:  # the real tools accept every call
            if name == "calculator":  # with the question's numbers, not the description's example
                float(tools[name].invoke(args))
                numbers = set(re.findall(r"\d+", args["expression"])) - {"2"}
                assert numbers <= set(re.findall(r"\d+", made.question)), (made.question, args)
            if name == "unit_convert":
                assert f" {args['value']} " in f" {made.question} " and " = " in tools[name].invoke(args)
    assert set(seen) == {"call", "forced_calculator", "no_call", "answer"}
    for kind, made in seen.items():
        row = tool_data.own_row(chat.tokens.tokenizer, made, tools)
        prompt, target = _prompt_and_target(chat, row)
        bound = [tools[name] for name in made.tools]
        messages = [SystemMessage(made.system), HumanMessage(made.question)]
        if made.result_of:
            name, args = made.result_of
            messages += [AIMessage("", tool_calls=[{"name": name, "args": args, "id": "call_0"}]),
                         ToolMessage(str(tools[name].invoke(args)), tool_call_id="call_0")]
            assert str(tools[name].invoke(args)) in target
        seen_prompt = _prompt_bind_tools_renders(chat, bound, messages, monkeypatch, made.tool_choice)
        assert prompt == seen_prompt, kind
        binding = tool_data.binding_for(bound, made.tool_choice)
        reply = binding.parse(target, JSON_LINES)
        assert [(c["name"], c["args"]) for c in reply.tool_calls] == made.calls, kind
        if made.calls:
            assert _grammar_admits(chat, binding.tools, target)


def test_no_fit_rows_ask_for_a_tool_that_is_not_bound() -> None:
    schemas = _script("tool_call_schemas")
    rng, checked = random.Random(0), 0
    while checked < 20:
        made = schemas.example(rng)
        if made.kind == "no_fit" and ("weather" in made.question or "raining" in made.question):
            bound = {tool["function"]["name"] for tool in made.tools}
            assert "get_weather" not in bound and bound and made.text == schemas.NO_FIT_REPLY
            checked += 1


def test_generated_call_follows_the_format_its_schema_describes() -> None:
    schemas = _script("tool_call_schemas")
    rng = random.Random(0)
    for _ in range(50):
        question, args = schemas._weather(rng)
        city, country = args["location"].split(", ")
        assert city in question and country not in question  # the model must add it
        question, args = schemas._reminder(rng)
        hour, minute = args["time"].split(":")
        assert len(hour) == len(minute) == 2 and 0 <= int(hour) < 24


def test_bfcl_split_is_disjoint_seeded_and_written(chat: LocalChatModel, tmp_path: Path) -> None:
    tokenizer = chat.tokens.tokenizer
    summary = tool_data.build(BFCL, tmp_path / "a", seed=0, heldout_per_category=5,
                              generated=6, max_tokens=4096, tokenizer=tokenizer)
    split = json.loads((tmp_path / "a" / "split.json").read_text())
    held_file = load_bfcl(tmp_path / "a" / "heldout")
    assert summary["heldout"] == len(held_file) == 7  # 3 per category: 1 held out each
    for category, held in split["heldout"].items():
        assert len(held) == 1 and not set(held) & set(split["train"][category])
        assert len(held) + len(split["train"][category]) == 3
    assert {i.id for i in held_file} == {i for ids in split["heldout"].values() for i in ids}
    rows = [json.loads(line) for line in (tmp_path / "a" / "train.jsonl").read_text().splitlines()]
    held_questions = {i.messages[-1].content for i in held_file}
    assert not any(r["messages"][-2]["content"] in held_questions for r in rows)
    assert len(rows) == summary["rows"] == sum(n for k, n in summary["counts"].items() if ":" not in k)
    tool_data.build(BFCL, tmp_path / "b", seed=0, heldout_per_category=5, generated=6,
                    max_tokens=4096, tokenizer=tokenizer)
    assert (tmp_path / "b" / "split.json").read_text() == (tmp_path / "a" / "split.json").read_text()
    assert (tmp_path / "b" / "train.jsonl").read_text() == (tmp_path / "a" / "train.jsonl").read_text()
    splits = set()
    for seed in (1, 2, 3):
        tool_data.build(BFCL, tmp_path / f"s{seed}", seed=seed, heldout_per_category=5,
                        generated=0, max_tokens=4096, tokenizer=tokenizer)
        split = json.loads((tmp_path / f"s{seed}" / "split.json").read_text())
        splits.add(json.dumps(split["heldout"], sort_keys=True))
    assert len(splits) > 1


def test_tone_rows_are_the_rewrite_nodes_prompt_and_skip_the_heldout(
    chat: LocalChatModel, tmp_path: Path
) -> None:
    tokenizer = chat.tokens.tokenizer
    counts = tone_data.build(PARADETOX, tmp_path, seed=0, fraction=0.3)
    held = load_pairs(tmp_path / "heldout.jsonl")
    pairs = {item.id: item for item in load_pairs(PARADETOX / "pairs.jsonl")}
    assert 0 < counts["heldout"] == len(held) < len(pairs)
    held_sources = {item.toxic for item in held}
    sft = [json.loads(line) for line in (tmp_path / "sft.jsonl").read_text().splitlines()]
    train_ids = [i for i in pairs if i not in {h.id for h in held}]
    assert len(sft) == counts["sft"] == sum(len(pairs[i].neutral) for i in train_ids)
    for row in sft:
        prompt, target = _prompt_and_target(chat, row)
        source = row["messages"][-2]["content"]
        assert source not in held_sources
        assert prompt == render_prompt(tokenizer, rewrite_messages(source))
        assert any(target == n for item in pairs.values() if item.toxic == source
                   for n in item.neutral)
    dpo = [json.loads(line) for line in (tmp_path / "dpo.jsonl").read_text().splitlines()]
    assert len(dpo) == counts["dpo"] == len(train_ids)
    for row in dpo:
        assert row["rejected"] not in held_sources and row["chosen"] != row["rejected"]
        rendered = tokenizer.apply_chat_template(row["prompt"], tokenize=False,
                                                 add_generation_prompt=True)
        assert rendered == render_prompt(tokenizer, rewrite_messages(row["rejected"]))
    again = tone_data.build(PARADETOX, tmp_path / "again", seed=1, fraction=0.3)
    other = {item.id for item in load_pairs(tmp_path / "again" / "heldout.jsonl")}
    assert again["heldout"] == len(other) and other != {item.id for item in held}

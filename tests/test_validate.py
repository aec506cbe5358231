"""Every kind of bad graph gets a clear problem: what, where (file:line:key), how to fix."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import pytest

from agentkit.engine.validate import validate_spec
from agentkit.errors import GraphSpecError
from agentkit.spec import load_spec

BASE = """\
name: checks
state:
  question: str
  answer: str
resources:
  llm: {kind: chat_model}
nodes:
  classify:
    kind: route
    by: keywords
    input: question
    routes: {math: [sum, plus], chat: [hello]}
    default: chat
  math: {kind: llm, llm: llm, template: "Compute {question}", output: answer}
  chat: {kind: llm, llm: llm, template: "{question}", output: answer}
edges:
  - [START, classify]
  - from: classify
    routes: {math: math, chat: chat}
  - [math, END]
  - [chat, END]
"""


@pytest.fixture
def problems(write_graph: Callable[..., Path]) -> Callable[..., list[str]]:
    def check(old: str = "", new: str = "", extra: str = "") -> list[str]:
        assert old in BASE
        spec = load_spec(write_graph(BASE.replace(old, new, 1) + extra))
        return [str(p) for p in validate_spec(spec)]

    return check


def test_base_graph_is_valid(problems: Callable[..., list[str]]) -> None:
    assert problems() == []


def test_unknown_node_kind_suggests_close_names(problems: Callable[..., list[str]]) -> None:
    (found,) = problems("kind: route", "kind: rout")
    assert "graph.yaml:9: nodes.classify.kind: unknown node kind 'rout'" in found
    assert "did you mean 'route'?" in found and "agentkit nodes" in found


def test_unknown_param(problems: Callable[..., list[str]]) -> None:
    (found,) = problems("output: answer}", "output: answer, temprature: 0}")
    assert "graph.yaml:14: nodes.math.temprature: unknown parameter 'temprature'" in found
    assert "fix:" in found


def test_param_of_wrong_type(problems: Callable[..., list[str]]) -> None:
    (found,) = problems("    by: keywords", "    by: magic")
    assert "graph.yaml:10: nodes.classify.by:" in found and "'magic'" in found


def test_missing_required_param(problems: Callable[..., list[str]]) -> None:
    (found,) = problems(', output: answer}\n  chat', "}\n  chat")
    assert "nodes.math.output: required parameter 'output' is missing" in found


def test_edge_to_unknown_node(problems: Callable[..., list[str]]) -> None:
    found = problems("[math, END]", "[math, ENDD]")
    assert any("graph.yaml:20: edges[2][1]: edge target 'ENDD' is not a node" in p and "'END'" in p for p in found)


def test_route_label_without_target(problems: Callable[..., list[str]]) -> None:
    found = problems("routes: {math: math, chat: chat}", "routes: {math: math}")
    assert "graph.yaml:19: edges[1].routes: route label 'chat' of node 'classify' has no target" in found[0]
    assert "add `chat: <node>`" in found[0]


def test_route_label_never_set(problems: Callable[..., list[str]]) -> None:
    (found,) = problems("chat: chat}", "chat: chat, poetry: chat}")
    assert "edges[1].routes.poetry: node 'classify' never sets route label 'poetry'" in found


def test_routes_from_a_node_that_sets_no_label(problems: Callable[..., list[str]]) -> None:
    found = problems("[math, END]", "{from: math, routes: {x: END}}")
    assert any("node 'math' (kind 'llm') sets no route label" in p for p in found)


def test_unreachable_node(problems: Callable[..., list[str]]) -> None:
    (found,) = problems("nodes:\n", "nodes:\n  lonely: {kind: llm, llm: llm, template: hi, output: answer}\n")
    assert "graph.yaml:8: nodes.lonely: node 'lonely' is unreachable from START" in found


def test_no_path_to_end(problems: Callable[..., list[str]]) -> None:
    found = problems("[chat, END]", "[chat, chat]")
    assert any("no path from node 'chat' to END" in p for p in found)
    assert any("the loop" in p and "has no bound" in p for p in found)


def test_loop_without_bound_and_with(problems: Callable[..., list[str]]) -> None:
    (found,) = problems("routes: {math: math, chat: chat}", "routes: {math: math, chat: chat}\n  - [math, classify]")
    assert "math" in found and "has no bound" in found and "max_steps" in found
    fixed = problems("routes: {math: math, chat: chat}", "routes: {math: math, chat: chat}\n  - [math, classify]",
                     extra="limits: {max_steps: 10}\n")
    assert not any("no bound" in p for p in fixed)


def test_unknown_resource(problems: Callable[..., list[str]]) -> None:
    (found,) = problems("{kind: llm, llm: llm, template: \"Compute", "{kind: llm, llm: lm, template: \"Compute")
    assert "nodes.math.llm: resource 'lm' is not declared" in found and "did you mean 'llm'" in found


def test_resource_of_the_wrong_kind(problems: Callable[..., list[str]]) -> None:
    found = problems("llm: {kind: chat_model}", "llm: {kind: embeddings}")
    assert any("resource 'llm' is a 'embeddings', this needs a 'chat_model'" in p for p in found)


def test_unknown_resource_kind_and_param(problems: Callable[..., list[str]]) -> None:
    assert "did you mean 'chat_model'" in problems("kind: chat_model", "kind: chatmodel")[0]
    assert "resources.llm.temprature: unknown parameter" in problems("kind: chat_model}", "kind: chat_model, temprature: 1}")[0]


def test_unknown_tool(problems: Callable[..., list[str]]) -> None:
    (found,) = problems("  chat: {kind: llm, llm: llm, template: \"{question}\", output: answer}",
                        "  chat: {kind: tool, tool: calculater, output: answer}")
    assert "nodes.chat.tool: unknown tool 'calculater'" in found and "tools" in found


def test_undeclared_channel_and_template_placeholder(problems: Callable[..., list[str]]) -> None:
    found = problems('template: "Compute {question}", output: answer', 'template: "Compute {qustion}", output: anser')
    assert any("nodes.math.output: state channel 'anser' is not declared" in p for p in found)
    assert any("nodes.math.template: template placeholder {qustion} is not a state channel" in p for p in found)


def test_channel_type_and_reducer(problems: Callable[..., list[str]]) -> None:
    assert "unknown channel type 'strng'" in problems("question: str", "question: strng")[0]
    assert "reducer 'append' needs a list" in problems("answer: str", "answer: {type: str, reducer: append}")[0]


def test_compile_raises_every_problem_at_once(write_graph: Callable[..., Path]) -> None:
    from agentkit import load_graph

    bad = BASE.replace("kind: route", "kind: rout").replace("[math, END]", "[math, ENDD]")
    with pytest.raises(GraphSpecError) as info:
        load_graph(write_graph(bad))
    assert len(info.value.problems) >= 2
    assert "problems in graph spec" in str(info.value)

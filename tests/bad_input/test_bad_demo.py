"""The math demo's building block on bad input: a `tool_agent` answer template that names
something the tool call does not have is a graph error at validation, before any run."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from harness import assert_clear_failure, run_cli, tree_digest

REPO = Path(__file__).resolve().parents[2]
GRAPH = """\
name: calc_agent
input: question
output: answer
state: {{question: str, messages: messages, answer: str}}
resources:
  llm: {{kind: chat_model, max_tokens: 32}}
nodes:
  math:
    kind: tool_agent
    llm: llm
    tools: [calculator]
    template: "{{question}}"
    messages: messages
    answer: {answer}
    output: answer
edges: [[START, math], [math, END]]
"""


@pytest.fixture
def calc_workspace(workspace: Path) -> Path:
    (workspace / "tools").mkdir()
    shutil.copy(REPO / "tools" / "calculator.py", workspace / "tools")
    (workspace / "graphs").mkdir()
    return workspace


@pytest.mark.parametrize(("answer", "fragments"), [
    ('"{expr} = {result}"', ["graph.yaml:14", "nodes.math.answer", "answer placeholder {expr} is neither {result} "
                             "nor an argument of calculator", "use one of: expression, result"]),
    ('"{expression.real} = {result}"', ["answer placeholder {expression.real} is neither"]),
    ('"{} = {result}"', ["answer placeholder {} is neither"]),
    ('"{expression = {result}"', ["nodes.math.answer", "malformed answer template", "escape literal braces"]),
])
def test_answer_template_names_only_the_call(calc_workspace: Path, answer: str, fragments: list[str]) -> None:
    path = calc_workspace / "graphs" / "graph.yaml"
    path.write_text(GRAPH.format(answer=answer))
    before = [tree_digest(calc_workspace / folder) for folder in ("graphs", "tools")]
    for command in (["graph", "validate", str(path)], ["run", str(path), "-i", "What is 2 + 2?", "--no-trace"]):
        assert_clear_failure(run_cli(*command), 2, *fragments)
    assert [tree_digest(calc_workspace / folder) for folder in ("graphs", "tools")] == before


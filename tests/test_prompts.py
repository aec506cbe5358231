"""Versioned prompts: content-hash versions, history, pinning from graphs, CLI, spans."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import pytest
import yaml
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from typer.testing import CliRunner

from agentkit import load_graph, validate_spec
from agentkit.cli.app import app
from agentkit.errors import ConfigError
from agentkit.prompts import Prompt, PromptStore
from agentkit.spec import load_spec

V1 = """\
label: first
system: You answer questions about {topic}.
examples:
  - {user: "What is 2+2?", assistant: "4"}
template: "Question: {question}"
"""
V2 = V1.replace("label: first", "label: second").replace("Question: {question}", "Q: {question}\\nA:")
GRAPH = """\
name: pinned
input: question
output: answer
state: {question: str, topic: str, answer: str}
resources:
  llm: {kind: chat_model}
nodes:
  ask: {kind: llm, llm: llm, prompt: "%s", output: answer}
edges: [[START, ask], [ask, END]]
"""


class Recorder(BaseCallbackHandler):
    """Keeps the messages of every chat model call."""

    def __init__(self) -> None:
        self.calls: list[list[BaseMessage]] = []

    def on_chat_model_start(self, serialized: Any, messages: list[list[BaseMessage]], **kwargs: Any) -> None:
        self.calls.extend(messages)


@pytest.fixture
def store(workspace: Path) -> PromptStore:
    folder = workspace / "prompts"
    folder.mkdir()
    (folder / "qa.yaml").write_text(V1)
    return PromptStore(folder)


def test_version_is_a_content_hash_independent_of_label() -> None:
    a = Prompt(name="a", label="x", template="Hi {name}")
    assert a.version == Prompt(name="b", label="y", template="Hi {name}").version
    assert a.version != Prompt(name="a", template="Hello {name}").version
    assert a.ref == f"a@{a.version}" and len(a.version) == 12


def test_messages_are_system_few_shot_history_then_template(store: PromptStore) -> None:
    prompt = store.current("qa")
    messages = prompt.to_messages({"topic": "math", "question": "3+3?"}, [HumanMessage("earlier")])
    assert [type(m) for m in messages] == [SystemMessage, HumanMessage, AIMessage, HumanMessage, HumanMessage]
    assert messages[0].content == "You answer questions about math."
    assert messages[-1].content == "Question: 3+3?"
    assert prompt.variables() == ["topic", "question"]


def test_old_versions_stay_retrievable_by_hash_and_label(store: PromptStore) -> None:
    first = store.current("qa")
    (store.folder / "qa.yaml").write_text(V2)
    second = store.current("qa")
    assert first.version != second.version
    assert store.get("qa").version == second.version
    assert store.get(f"qa@{first.version[:6]}") == first
    assert store.get("qa@first") == first and store.get("qa@second") == second
    assert [v.prompt.version for v in store.versions("qa")] == [first.version, second.version]
    with pytest.raises(ConfigError, match="has no version 'nope'; known versions"):
        store.get("qa@nope")
    with pytest.raises(ConfigError, match="no prompt named 'qb'.*known: qa"):
        store.get("qb")


def test_bad_prompt_files_get_clear_errors(store: PromptStore) -> None:
    (store.folder / "broken.yaml").write_text("template: [unclosed\n")
    with pytest.raises(ConfigError, match=r"broken.yaml:\d+: malformed YAML"):
        store.current("broken")
    (store.folder / "odd.yaml").write_text("template: hi\ntemprature: 3\n")
    with pytest.raises(ConfigError, match=r"odd.yaml: invalid prompt: temprature: Extra inputs"):
        store.current("odd")


def test_graph_pins_a_version_and_records_it_on_the_llm_call(
    store: PromptStore, write_graph: Callable[..., Path], scripted_llm: Any
) -> None:
    first = store.current("qa")
    (store.folder / "qa.yaml").write_text(V2)
    sent = Recorder()
    graph = load_graph(write_graph(GRAPH % f"qa@{first.version}"), resources={"llm": scripted_llm("4")})
    assert graph.invoke({"question": "2+2?", "topic": "math"}, {"callbacks": [sent]})["answer"] == "4"
    unpinned = load_graph(write_graph(GRAPH % "qa", "unpinned.yaml"), resources={"llm": scripted_llm("5")})
    assert unpinned.invoke({"question": "2+3?", "topic": "math"}, {"callbacks": [sent]})["answer"] == "5"
    assert [m[-1].content for m in sent.calls] == ["Question: 2+2?", "Q: 2+3?\nA:"]


def test_prompt_problems_in_graph_validation(store: PromptStore, write_graph: Callable[..., Path]) -> None:
    found = [str(p) for p in validate_spec(load_spec(write_graph(GRAPH % "qa@zzz")))]
    assert any("nodes.ask.prompt: prompt 'qa' has no version 'zzz'" in p for p in found)
    (store.folder / "qa.yaml").write_text(V1.replace("{question}", "{questoin}"))
    found = [str(p) for p in validate_spec(load_spec(write_graph(GRAPH % "qa")))]
    assert any("template placeholder {questoin} is not a state channel" in p for p in found)


def test_prompts_cli_list_show_diff(store: PromptStore) -> None:
    runner = CliRunner()
    first = store.current("qa")
    (store.folder / "qa.yaml").write_text(V2)
    listing = runner.invoke(app, ["prompts", "list"])
    assert listing.exit_code == 0 and "qa" in listing.output and "second" in listing.output
    shown = runner.invoke(app, ["prompts", "show", "qa@first"])
    assert shown.exit_code == 0 and first.version in shown.output and "Question: {question}" in shown.output
    diff = runner.invoke(app, ["prompts", "diff", "qa", "first", "second"])
    assert "-template: 'Question: {question}'" in diff.output and "+template:" in diff.output
    missing = runner.invoke(app, ["prompts", "show", "nope"])
    assert missing.exit_code == 1 and "no prompt named 'nope'" in missing.output


def test_viewing_prompts_writes_nothing(store: PromptStore) -> None:
    runner = CliRunner()
    version = Prompt(name="qa", **yaml.safe_load(V1)).version
    for args in (["list"], ["show", "qa"], ["show", f"qa@{version[:5]}"], ["diff", "qa", "first", "first"]):
        result = runner.invoke(app, ["prompts", *args])
        assert result.exit_code == 0, result.output
    assert sorted(p.name for p in store.folder.rglob("*")) == ["qa.yaml"]
    store.get("qa")
    assert [v.prompt.version for v in store.versions("qa")] == [version]


def test_prompt_with_output_schema_gives_structured_output_with_the_local_model(
    workspace: Path, write_graph: Callable[..., Path]
) -> None:
    folder = workspace / "prompts"
    folder.mkdir()
    (folder / "extract.yaml").write_text(
        "system: Extract the city the user asks about.\n"
        "template: \"{question}\"\n"
        "output_schema:\n"
        "  type: object\n"
        "  properties: {city: {type: string}, days: {type: integer}}\n"
        "  required: [city, days]\n")
    graph = load_graph(write_graph(GRAPH.replace("topic: str, answer: str", "topic: str, answer: dict")
                                   .replace("kind: chat_model", "kind: chat_model, max_tokens: 40") % "extract"))
    answer = graph.invoke({"question": "What will the weather be in Paris for the next 3 days?"})["answer"]
    assert set(answer) == {"city", "days"} and isinstance(answer["city"], str) and isinstance(answer["days"], int)

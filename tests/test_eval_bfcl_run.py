"""Running BFCL items through a (fake) tool-calling model, the run record, the table,
the HTML report and the CLI wiring (the real model is in test_eval_bfcl_cli.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from rich.console import Console
from typer.testing import CliRunner

import agentkit.models.factory
from agentkit.cli.app import app
from agentkit.errors import ConfigError
from agentkit.evals.bfcl.loading import load_bfcl
from agentkit.evals.bfcl.results import BfclRun
from agentkit.evals.bfcl.running import run_bfcl, run_item
from agentkit.evals.bfcl.suite import to_result
from agentkit.evals.html import render_html, run_labels
from agentkit.evals.tables import metrics_table

FIXTURE = Path(__file__).parent / "data" / "bfcl"


def tool_call(name: str, **args: Any) -> dict[str, Any]:
    return {"name": name, "args": args, "id": f"call_{name}", "type": "tool_call"}


# Replies by the start of the question; anything else gets a plain-text answer.
SCRIPT: dict[str, AIMessage] = {
    "Calculate the factorial of 5 using": AIMessage("", tool_calls=[
        tool_call("math_factorial", number=5)]),
    "Find the prime factors of the number": AIMessage("", tool_calls=[
        tool_call("number_analysis_prime_factors", number="123456")]),
    "Find the factorial of 5,10 and 15": AIMessage("", tool_calls=[
        tool_call("math_factorial", number=n) for n in (15, 5, 10)]),
    "What is the time difference": AIMessage("", invalid_tool_calls=[{
        "name": None, "args": '{"name": "get_co_ordinate", "arguments": {', "id": None,
        "error": "unterminated JSON", "type": "invalid_tool_call"}]),
    "Calculate the power of 2": AIMessage("", tool_calls=[
        tool_call("linear_equation_solver", equation="2^5", variable="x")]),
    "Help me execute the step method": AIMessage("", tool_calls=[
        tool_call("Intro_step", w="800", h="600")]),
    "Help me reset a state property": AIMessage("", tool_calls=[{
        **tool_call("resetStateProperty", stateProperty="userSession"), "name": "boom"}]),
}


class ScriptedToolModel(BaseChatModel):
    """Answers from SCRIPT by question; records what bind_tools was given."""

    bindings: list[dict[str, Any]] = []

    @property
    def _llm_type(self) -> str:
        return "scripted-tools"

    def bind_tools(self, tools: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        self.bindings.append({"tools": tools, **kwargs})
        return self.bind(tools=tools, **kwargs)

    def _generate(self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None,
                  **kwargs: Any) -> ChatResult:
        question = str(messages[-1].content)
        if question.startswith("Help me reset"):
            raise RuntimeError("decoder exploded")
        reply = next((r for start, r in SCRIPT.items() if question.startswith(start)),
                     AIMessage("I cannot help with that."))
        return ChatResult(generations=[ChatGeneration(message=reply)])


@pytest.fixture
def fake() -> ScriptedToolModel:
    return ScriptedToolModel(bindings=[])


def run_fixture(model: BaseChatModel, constrain: bool = True) -> BfclRun:
    items = load_bfcl(FIXTURE, ["simple_python", "parallel", "irrelevance", "simple_java"])
    results = list(run_bfcl(model, items, constrain=constrain))
    return BfclRun.from_results(results, model="scripted", constrained=constrain,
                                data=FIXTURE, limit=None)


def test_items_are_judged_for_validity_and_correctness(fake: ScriptedToolModel) -> None:
    run = run_fixture(fake)
    by_id = {r.id: r for r in run.items}
    first = by_id["simple_python_1"]
    assert (first.valid, first.correct, first.error) == (True, True, None)
    assert [c.model_dump() for c in first.calls] == [
        {"name": "math.factorial", "args": {"number": 5}}]  # BFCL name restored
    wrong_type = by_id["simple_python_18"]
    assert not wrong_type.valid and not wrong_type.correct
    assert wrong_type.error.startswith("number_analysis_prime_factors: number: '123456' is not of")
    no_call = by_id["simple_python_97"]
    assert no_call.valid and not no_call.correct and no_call.text == "I cannot help with that."
    assert no_call.error == "expected 1 call(s), got 0: none"
    assert by_id["parallel_7"].correct and by_id["parallel_7"].valid
    assert by_id["parallel_60"].error == "expected 3 call(s), got 0: none"
    assert by_id["irrelevance_8"].correct and by_id["irrelevance_8"].valid
    unparsed = by_id["irrelevance_49"]  # BFCL: output that is no call is right here
    assert unparsed.correct and not unparsed.valid
    assert unparsed.invalid_calls == ['{"name": "get_co_ordinate", "arguments": {']
    assert unparsed.error == "call did not parse: unterminated JSON"
    assert by_id["irrelevance_59"].error == "expected no call, got linear_equation_solver"
    assert by_id["simple_java_76"].correct
    assert all(r.latency_s >= 0 for r in run.items)


def test_figures_per_category_and_overall(fake: ScriptedToolModel) -> None:
    run = run_fixture(fake)
    figures = {s.category: (s.n, s.valid_rate, s.accuracy) for s in run.categories}
    assert figures == {
        "simple_python": (3, 2 / 3, 1 / 3),
        "parallel": (3, 1.0, 1 / 3),
        "irrelevance": (3, 2 / 3, 2 / 3),
        "simple_java": (3, 1.0, 1 / 3),
    }
    assert (run.overall.category, run.overall.n) == ("all", 12)
    assert run.overall.accuracy == pytest.approx(5 / 12)
    assert run.overall.valid_rate == pytest.approx(10 / 12)


def test_tools_are_bound_auto_parallel_and_strict_as_asked(fake: ScriptedToolModel) -> None:
    item = load_bfcl(FIXTURE, ["multiple"], limit=1)[0]
    run_item(fake, item, constrain=True)
    run_item(fake, item, constrain=False)
    first, second = fake.bindings
    assert [t["function"]["name"] for t in first["tools"]] == [
        "country_info_largest_city", "country_info_capital", "country_info_population"]
    assert first["tool_choice"] == "auto" and first["parallel_tool_calls"] is True
    assert (first["strict"], second["strict"]) == (True, False)


def test_a_failing_model_call_is_recorded_not_raised(fake: ScriptedToolModel) -> None:
    item = load_bfcl(FIXTURE, ["simple_javascript"])[2]
    result = run_item(fake, item)
    assert (result.valid, result.correct) == (False, False)
    assert result.error == "model error: RuntimeError: decoder exploded"


def test_a_tool_set_the_model_cannot_bind_is_recorded(fake: ScriptedToolModel) -> None:
    class Picky(ScriptedToolModel):
        def bind_tools(self, tools: Any, **kwargs: Any) -> Any:  # type: ignore[override]
            raise ConfigError("schema does not compile")

    result = run_item(Picky(), load_bfcl(FIXTURE, limit=1)[0])
    assert result.error == "model error: ConfigError: schema does not compile"


def test_model_without_tool_calling_is_a_config_error() -> None:
    item = load_bfcl(FIXTURE, limit=1)[0]
    with pytest.raises(ConfigError, match="does not support tool calling"):
        run_item(FakeListChatModel(responses=["hi"]), item)


def test_table_shows_every_category_and_all(fake: ScriptedToolModel) -> None:
    console = Console(record=True, width=120)
    console.print(metrics_table(to_result(run_fixture(fake))))
    text = console.export_text()
    assert "bfcl (bfcl), chat: scripted" in text
    assert "group         ┃ accuracy ┃ valid rate ┃ mean latency s ┃  n" in text
    assert "simple_python │   0.3333 │     0.6667 │" in text
    assert "all           │   0.4167 │     0.8333 │" in text


def test_run_round_trips_through_json(fake: ScriptedToolModel, tmp_path: Path) -> None:
    run = run_fixture(fake)
    run.save(tmp_path / "out" / "run.json")
    assert BfclRun.load(tmp_path / "out" / "run.json") == run


def test_loading_a_file_that_is_not_a_run(tmp_path: Path) -> None:
    (tmp_path / "x.json").write_text('{"benchmark": "bfcl"}')
    with pytest.raises(Exception, match="is not a BFCL run file") as err:
        BfclRun.load(tmp_path / "x.json")
    assert "fix: pass a file written by `agentkit eval bfcl --json`" in str(err.value)
    with pytest.raises(Exception, match="cannot read run file"):
        BfclRun.load(tmp_path / "missing.json")


def test_html_compares_runs_with_a_chart(fake: ScriptedToolModel) -> None:
    constrained, free = (to_result(run_fixture(fake, c), load_bfcl(FIXTURE)) for c in (True, False))
    assert run_labels([constrained, free]) == ["constrain=True", "constrain=False"]
    assert run_labels([free, free])[1].endswith("#2")
    page = render_html([constrained, free])
    assert page.startswith("<!doctype html>") and page.rstrip().endswith("</html>")
    assert "<h1>bfcl eval: bfcl</h1>" in page
    assert page.count("<svg") == 2 and "accuracy" in page and "valid rate" in page
    assert "<tr><td>simple_python/accuracy</td><td>0.3333</td><td>0.3333</td></tr>" in page
    assert "irrelevance_59" in page and "expected no call, got linear_equation_solver" in page
    assert "<summary>simple_python: 3 items, 2 with an error</summary>" in page
    assert "I cannot help with that." in page
    assert "Calculate the factorial of 5" in page  # the item's question, from the data


# --- the CLI, with the fake model in place of the local one ------------------------

@pytest.fixture
def cli_fake(monkeypatch: pytest.MonkeyPatch, fake: ScriptedToolModel) -> ScriptedToolModel:
    monkeypatch.setattr(agentkit.models.factory, "get_chat_model", lambda config: fake)
    return fake


def test_cli_runs_prints_table_and_writes_json_and_html(
    cli_fake: ScriptedToolModel, tmp_path: Path
) -> None:
    runner = CliRunner()
    first = runner.invoke(app, ["eval", "bfcl", "--data", str(FIXTURE), "-c", "simple_python",
                                "-c", "irrelevance", "--limit", "2", "--no-constrain",
                                "--json", str(tmp_path / "free.json")])
    assert first.exit_code == 0, first.output
    assert "bfcl (bfcl), chat:" in first.output and "wrote" in first.output
    assert "simple_python: n=2 valid_rate=0.500 accuracy=0.500" in first.output
    assert "irrelevance: n=2 valid_rate=0.500 accuracy=1.000" in first.output
    saved = json.loads((tmp_path / "free.json").read_text())
    assert saved["format"] == "agentkit.eval/1" and saved["kind"] == "bfcl"
    assert [i["group"] for i in saved["items"]] == ["simple_python"] * 2 + ["irrelevance"] * 2
    assert saved["config"]["constrain"] is False and saved["config"]["limit"] == 2
    assert saved["metrics"]["simple_python/accuracy"] == 0.5 and saved["metrics"]["accuracy"] == 0.75
    assert cli_fake.bindings[-1]["strict"] is False
    second = runner.invoke(app, ["eval", "bfcl", "--data", str(FIXTURE), "-c", "simple_python",
                                 "--limit", "1", "--html", str(tmp_path / "r.html"),
                                 "--compare", str(tmp_path / "free.json")])
    assert second.exit_code == 0, second.output
    page = (tmp_path / "r.html").read_text()
    assert "constrain=False" in page and "constrain=True" in page and "<svg" in page


def test_cli_report_charts_saved_runs(fake: ScriptedToolModel, tmp_path: Path) -> None:
    run_fixture(fake, True).save(tmp_path / "a.json")
    run_fixture(fake, False).save(tmp_path / "b.json")
    result = CliRunner().invoke(app, ["eval", "report", str(tmp_path / "a.json"),
                                      str(tmp_path / "b.json"), "--html", str(tmp_path / "r.html")])
    assert result.exit_code == 0, result.output
    page = (tmp_path / "r.html").read_text()  # run files of the older BFCL format still load
    assert "<h1>bfcl eval: bfcl</h1>" in page and "<td>simple_python/accuracy</td>" in page


def test_cli_errors_are_messages_not_tracebacks(cli_fake: ScriptedToolModel, tmp_path: Path) -> None:
    runner = CliRunner()
    missing = runner.invoke(app, ["eval", "bfcl", "--data", str(tmp_path / "nope")])
    assert missing.exit_code == 1 and "no such file or folder" in missing.output
    assert "Traceback" not in missing.output
    unknown = runner.invoke(app, ["eval", "bfcl", "--data", str(FIXTURE), "-c", "paralel"])
    assert unknown.exit_code == 1 and "did you mean 'parallel'" in unknown.output
    compare = runner.invoke(app, ["eval", "bfcl", "--data", str(FIXTURE), "--compare", "x.json"])
    assert compare.exit_code == 1 and "add --html OUT" in compare.output
    (tmp_path / "bad.json").write_text("[]")
    report = runner.invoke(app, ["eval", "report", str(tmp_path / "bad.json"),
                                 "--html", str(tmp_path / "r.html")])
    assert report.exit_code == 1 and "is not an eval result file" in report.output


def test_cli_warns_when_the_model_fails_on_items(cli_fake: ScriptedToolModel) -> None:
    result = CliRunner().invoke(app, ["eval", "bfcl", "--data", str(FIXTURE),
                                      "-c", "simple_javascript"])
    assert result.exit_code == 0, result.output
    assert ("warning: the model failed on 1 item(s), e.g. simple_javascript_22: model error: "
            "RuntimeError: decoder exploded") in " ".join(result.output.split())

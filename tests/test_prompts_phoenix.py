"""`agentkit prompts push` against a real Phoenix: versions, tags, messages, idempotence."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from agentkit.cli.app import app
from agentkit.prompts import PromptStore

FIRST = """\
label: First Draft
system: You answer questions about {topic}.
examples:
  - {user: 'Give JSON for 2+2', assistant: '{"answer": 4}'}
template: "Question: {question}"
"""
SECOND = FIRST.replace("First Draft", "v2").replace("Question: {question}", "Q: {question}")
THIRD = SECOND.replace("label: v2\n", "").replace("Q: {question}", "Q: {question}\\nA:")
EXTRACT = """\
template: "{question}"
output_schema: {type: object, properties: {city: {type: string}}, required: [city]}
"""


def push(url: str, *names: str) -> str:
    result = CliRunner().invoke(app, ["prompts", "push", *names, "--phoenix-url", url])
    assert result.exit_code == 0, result.output
    return result.output


def versions(url: str, name: str) -> list[dict]:
    response = httpx.get(f"{url}/v1/prompts/{name}/versions")
    response.raise_for_status()
    return response.json()["data"]


def tags(url: str, version_id: str) -> set[str]:
    response = httpx.get(f"{url}/v1/prompt_versions/{version_id}/tags")
    response.raise_for_status()
    return {tag["name"] for tag in response.json()["data"]}


@pytest.fixture
def store(workspace: Path, request: pytest.FixtureRequest) -> PromptStore:
    """`<test>-ask` with one recorded version and a newer file, `<test>-extract` with a schema
    (named after the test: the Phoenix server is shared by the session)."""
    folder = workspace / "prompts"
    folder.mkdir()
    store = PromptStore(folder)
    prefix = request.function.__name__.removeprefix("test_push_")
    (folder / f"{prefix}-ask.yaml").write_text(FIRST)
    store.current(f"{prefix}-ask")  # recorded in the history, as a graph run would
    (folder / f"{prefix}-ask.yaml").write_text(SECOND)
    (folder / f"{prefix}-extract.yaml").write_text(EXTRACT)
    return store


def test_push_publishes_every_version_with_hash_and_label_tags(phoenix_server: str, store: PromptStore) -> None:
    ask, extract_name = store.names()
    first = store.versions(ask)[0].prompt
    second = store.current(ask, record=False)
    extract = store.current(extract_name, record=False)
    output = push(phoenix_server)
    assert "3 new version(s), 0 already in Phoenix" in output

    stored = versions(phoenix_server, ask)  # newest first
    assert [tags(phoenix_server, v["id"]) for v in stored] == [{second.version, "v2"}, {first.version, "first-draft"}]
    assert stored[0]["template_format"] == "F_STRING" and stored[0]["model_name"] == "SmolLM2-135M-Instruct"
    assert stored[1]["description"] == f"agentkit {first.ref} (First Draft)"
    schema = versions(phoenix_server, extract_name)[0]["response_format"]["json_schema"]["schema"]
    assert schema == extract.output_schema

    from phoenix.client import Client

    values = {"topic": "math", "question": "3+3?"}
    for tag, prompt in (("first-draft", first), (second.version, second)):
        formatted = Client(base_url=phoenix_server).prompts.get(prompt_identifier=ask, tag=tag)
        sent = [(m["role"], m["content"]) for m in formatted.format(variables=values).messages]
        expected = [({"system": "system", "human": "user", "ai": "assistant"}[m.type], m.content)
                    for m in prompt.to_messages(values)]
        assert sent == expected and ("assistant", '{"answer": 4}') in sent


def test_push_again_adds_only_new_versions(phoenix_server: str, store: PromptStore) -> None:
    ask = store.names()[0]
    assert "3 new version(s)" in push(phoenix_server)
    before = versions(phoenix_server, ask)
    assert "0 new version(s), 2 already in Phoenix" in push(phoenix_server, ask)
    assert versions(phoenix_server, ask) == before

    (store.folder / f"{ask}.yaml").write_text(THIRD)
    third = store.current(ask, record=False)
    assert "1 new version(s), 2 already in Phoenix" in push(phoenix_server, ask)
    latest = httpx.get(f"{phoenix_server}/v1/prompts/{ask}/latest").json()["data"]
    assert tags(phoenix_server, latest["id"]) == {third.version}
    pinnable = [v.prompt.version for v in store.versions(ask)]  # every pushed version is in the history
    assert [tags(phoenix_server, v["id"]) - {"v2", "first-draft"} for v in versions(phoenix_server, ask)] == \
        [{version} for version in reversed(pinnable)]

"""Access on a real `agentkit serve`: the matrix of every route x {no key, wrong key, revoked
key, wrong scope, right key, over budget}, keys made and revoked while the server runs, the
refusal to listen beyond loopback without a key, no key in logs or telemetry; and the
request limits (prompt and max_tokens caps, the timeout that stops a generation)."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest
from typer.testing import CliRunner

from agentkit.access.keys import KeyStore, Scope
from agentkit.cli.app import app
from serve_process import Server, metric, start_server, wait_for, workspace_with_repo_files

CALC_GRAPH = """\
name: calc
input: expression
output: result
state: {expression: str, result: str}
nodes:
  calc: {kind: tool, tool: calculator, from_state: {expression: expression}, output: result}
edges: [[START, calc], [calc, END]]
"""
SLOW_TOOL = '''\
import time

from langchain_core.tools import tool


@tool
def slow(text: str) -> str:
    """Answers after 20 seconds (for the timeout test)."""
    time.sleep(20)
    return text
'''
SLOW_GRAPH = """\
name: slow
input: text
output: result
state: {text: str, result: str}
nodes:
  wait: {kind: tool, tool: slow, from_state: {text: text}, output: result}
edges: [[START, wait], [wait, END]]
"""
TIMEOUT_S = 3.0
LONG_JSON = {"type": "json_schema", "json_schema": {"name": "many", "schema": {
    "type": "object", "properties": {"lines": {"type": "array", "minItems": 60,
                                               "items": {"type": "string", "minLength": 30}}},
    "required": ["lines"]}}}  # the grammar forces 500+ tokens: far past the timeout
HELLO = [{"role": "user", "content": "Hi"}]
# (method, path, JSON body, the scope it needs: None = any valid key, "open" = no key)
ROUTES = [
    ("GET", "/v1/models", None, Scope.chat),
    ("POST", "/v1/chat/completions", {"model": "smollm2-135m", "messages": HELLO, "max_tokens": 1}, Scope.chat),
    ("POST", "/v1/embeddings", {"model": "all-minilm-l6-v2", "input": "hi"}, Scope.chat),
    ("GET", "/graphs", None, Scope.graphs),
    ("POST", "/graphs/calc/invoke", {"input": "2+3", "thread_id": "keys-matrix"}, Scope.graphs),
    ("GET", "/threads/keys-matrix/state", None, Scope.graphs),
    ("GET", "/metrics", None, Scope.admin),
    ("GET", "/openapi.json", None, None),
    ("GET", "/healthz", None, "open"),
    ("GET", "/readyz", None, "open"),
]


@pytest.fixture(scope="module")
def keyed(tmp_path_factory: pytest.TempPathFactory, model_cache: Path) -> Iterator[tuple[Server, dict[str, str]]]:
    """A server whose workspace has keys: one per scope, a revoked one, one over its budget."""
    workspace = workspace_with_repo_files(tmp_path_factory.mktemp("keys"), [])
    (workspace / "graphs" / "calc.yaml").write_text(CALC_GRAPH)
    (workspace / "graphs" / "slow.yaml").write_text(SLOW_GRAPH)
    (workspace / "tools" / "slow.py").write_text(SLOW_TOOL)
    store = KeyStore.of(workspace)
    tokens = {scope.value: store.create(f"{scope.value}-key", [scope])[1] for scope in Scope}
    tokens["revoked"] = store.create("gone", [Scope.admin])[1]
    store.revoke("gone")
    tokens["budget"] = store.create("tight", [Scope.admin], rate_per_min=1)[1]
    running = start_server(workspace, "--max-prompt-tokens", "200", "--max-completion-tokens", "1000",
                           "--request-timeout", str(TIMEOUT_S))
    yield running, tokens
    running.stop()


def _call(server: Server, method: str, path: str, body: dict | None, token: str | None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return httpx.request(method, f"{server.url}{path}", json=body, headers=headers, timeout=120)


def _right_key(needed: Scope | str | None) -> str:
    return needed.value if isinstance(needed, Scope) else "admin"


def _wrong_scope(needed: Scope | str | None) -> str | None:
    return {Scope.chat: "graphs", Scope.graphs: "chat", Scope.admin: "chat"}.get(needed)  # type: ignore[arg-type]


def test_every_route_answers_each_kind_of_caller_as_expected(keyed: tuple[Server, dict[str, str]]) -> None:
    server, tokens = keyed
    got, expected = {}, {}
    for method, path, body, needed in ROUTES:
        callers = {"no key": None, "wrong key": tokens["chat"][:-4] + "abcd", "revoked key": tokens["revoked"],
                   "right key": tokens[_right_key(needed)], "over budget": tokens["budget"]}
        if _wrong_scope(needed):
            callers["wrong scope"] = tokens[_wrong_scope(needed)]  # type: ignore[index]
        for who, token in callers.items():
            if who == "over budget":  # spend its one request a minute (a sliding window frees it slowly)
                _call(server, "GET", "/v1/models", None, token)
            response = _call(server, method, path, body, token)
            got[(path, who)] = response.status_code
            expected[(path, who)] = 200 if needed == "open" or who == "right key" else \
                {"no key": 401, "wrong key": 401, "revoked key": 401, "wrong scope": 403, "over budget": 429}[who]
            if response.status_code >= 400:
                error = response.json()["error"]
                assert error["message"] and "Traceback" not in response.text
                assert token is None or token not in response.text, "an error body repeats the key"
                if response.status_code == 429:
                    assert int(response.headers["Retry-After"]) >= 1
                if response.status_code == 401:
                    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert got == expected


def test_the_openai_client_is_refused_clearly_without_a_key_and_answered_with_one(
        keyed: tuple[Server, dict[str, str]]) -> None:
    server, tokens = keyed
    with pytest.raises(openai.AuthenticationError, match="agentkit keys create"):
        openai.OpenAI(base_url=f"{server.url}/v1", api_key="not-a-key", max_retries=0).models.list()
    client = openai.OpenAI(base_url=f"{server.url}/v1", api_key=tokens["chat"], max_retries=0)
    reply = client.chat.completions.create(model="smollm2-135m", messages=HELLO, max_tokens=3)
    assert reply.usage is not None and reply.usage.completion_tokens >= 1


def test_a_key_made_or_revoked_while_the_server_runs_counts_from_the_next_request(
        keyed: tuple[Server, dict[str, str]]) -> None:
    server, _ = keyed
    runner = CliRunner()
    env = {"AGENTKIT_WORKSPACE": str(server.workspace)}
    made = runner.invoke(app, ["keys", "create", "late", "--scope", "graphs"], env=env)
    assert made.exit_code == 0, made.output
    token = made.output.strip().splitlines()[-1]
    assert _call(server, "GET", "/graphs", None, token).status_code == 200
    listed = runner.invoke(app, ["keys", "list"], env=env)
    assert "late" in listed.output and token not in listed.output
    assert runner.invoke(app, ["keys", "revoke", "late"], env=env).exit_code == 0
    refused = _call(server, "GET", "/graphs", None, token)
    assert refused.status_code == 401 and "revoked" in refused.json()["error"]["message"]


def test_the_token_budget_refuses_once_spent(tmp_path: Path) -> None:
    from agentkit.access.key_limits import KeyLimits

    key, _ = KeyStore(tmp_path / "keys.sqlite").create("budget", [Scope.chat], tokens_per_min=100)
    limits = KeyLimits()
    assert limits.admit(key) is None
    limits.spend(key, 250)  # a call may go past the budget; the next one waits
    over = limits.admit(key)
    assert over is not None and "100 tokens a minute" in over[0] and 1 <= over[1] <= 60


def test_keys_never_reach_the_log_or_the_telemetry(keyed: tuple[Server, dict[str, str]]) -> None:
    server, tokens = keyed
    _call(server, "POST", "/graphs/calc/invoke", {"input": "6*7"}, tokens["graphs"])
    database = server.workspace / ".agentkit" / "telemetry.sqlite"
    key_id = tokens["graphs"].split("_")[1]
    wait_for(lambda: database.exists() and _telemetry_keys(database) >= {key_id}, what="the key id in telemetry")
    for token in tokens.values():
        secret = token.split("_", 2)[2]
        assert secret not in server.log_text()
        assert secret.encode() not in database.read_bytes()
        assert secret.encode() not in (server.workspace / ".agentkit" / "keys.sqlite").read_bytes()


def _telemetry_keys(database: Path) -> set[str]:
    with sqlite3.connect(database) as db:
        return {row[0] for row in db.execute("SELECT DISTINCT key FROM calls")}


def test_a_server_beyond_loopback_will_not_start_without_a_key(tmp_path: Path) -> None:
    workspace = workspace_with_repo_files(tmp_path / "open", [])
    result = CliRunner().invoke(app, ["serve", "--host", "0.0.0.0", "--port", "0", "--no-trace"],
                                env={"AGENTKIT_WORKSPACE": str(workspace)})
    assert result.exit_code != 0
    assert "needs an API key" in result.output and "agentkit keys create" in result.output


def test_max_tokens_and_prompts_over_the_caps_are_400s_saying_by_how_much(
        keyed: tuple[Server, dict[str, str]]) -> None:
    server, tokens = keyed
    client = openai.OpenAI(base_url=f"{server.url}/v1", api_key=tokens["chat"], max_retries=0)
    with pytest.raises(openai.BadRequestError, match="1,001 is over this server's limit of 1,000") as raised:
        client.chat.completions.create(model="smollm2-135m", messages=HELLO, max_tokens=1001)
    assert raised.value.body["param"] == "max_tokens"
    with pytest.raises(openai.BadRequestError, match=r"over this server's limit of 200 by [\d,]+") as raised:
        client.chat.completions.create(model="smollm2-135m", messages=[{"role": "user", "content": "word " * 400}],
                                       max_tokens=1)
    assert raised.value.body["code"] == "prompt_too_long"


@pytest.mark.parametrize("stream", [False, True])
def test_a_generation_past_the_timeout_is_stopped_and_answered_504(keyed: tuple[Server, dict[str, str]],
                                                                    stream: bool) -> None:
    server, tokens = keyed
    body = {"model": "smollm2-135m", "messages": [{"role": "user", "content": "List sentences."}],
            "max_tokens": 1000, "response_format": LONG_JSON, "stream": stream}
    headers = {"Authorization": f"Bearer {tokens['chat']}"}
    started = time.monotonic()
    with httpx.stream("POST", f"{server.url}/v1/chat/completions", json=body, headers=headers, timeout=60) as reply:
        text = reply.read().decode()
    took = time.monotonic() - started
    if stream:  # the stream began: it ends with an error event
        assert reply.status_code == 200 and '"code": "timeout"' in text and "[DONE]" not in text
    else:
        assert reply.status_code == 504 and reply.json()["error"]["code"] == "timeout"
    assert "--request-timeout" in text and took < TIMEOUT_S + 10
    wait_for(lambda: metric(server.url, "agentkit_running_sequences", tokens["admin"], model="smollm2-135m") == 0,
             what="the timed-out generation's slot freed")


def test_a_graph_run_past_the_timeout_is_a_504(keyed: tuple[Server, dict[str, str]]) -> None:
    server, tokens = keyed
    started = time.monotonic()
    reply = _call(server, "POST", "/graphs/slow/invoke", {"input": "x"}, tokens["graphs"])
    assert reply.status_code == 504 and "timeout of 3 s" in reply.json()["error"]["message"]
    assert time.monotonic() - started < TIMEOUT_S + 5

"""Span exports carry PHOENIX_API_KEY and PHOENIX_CLIENT_HEADERS: parsed as phoenix.otel does,
and received by a real HTTP collector on 127.0.0.1 that, like an auth-enabled Phoenix,
rejects exports without the key."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from langchain_core.runnables import RunnableLambda

from agentkit.errors import ConfigError
from agentkit.observability.headers import API_KEY_ENV, CLIENT_HEADERS_ENV, exporter_headers
from agentkit.observability.tracing import disable_tracing, enable_tracing, flush_traces

KEY = "px-s3cret=="


class Collector:
    """`/healthz` answers 200; `/v1/traces` records each POST's headers, and answers 401
    unless it carries `authorization: Bearer KEY`."""

    def __init__(self) -> None:
        self.exports: list[tuple[int, dict[str, str]]] = []  # (status answered, headers)
        collector = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200 if self.path == "/healthz" else 404)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                headers = {name.lower(): value for name, value in self.headers.items()}
                status = 200 if headers.get("authorization") == f"Bearer {KEY}" else 401
                collector.exports.append((status, headers))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet."""

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()


@pytest.fixture
def collector() -> Iterator[Collector]:
    server = Collector()
    yield server
    disable_tracing()
    server.server.shutdown()
    server.server.server_close()


def test_spans_reach_a_collector_that_requires_the_key(collector: Collector,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(API_KEY_ENV, KEY)
    monkeypatch.setenv(CLIENT_HEADERS_ENV, "x-team=search%20team, X-Tenant = acme")
    assert enable_tracing("agentkit-test-auth", collector.url)
    assert RunnableLambda(lambda text: text.upper(), name="shout").invoke("hi") == "HI"
    assert flush_traces()
    assert collector.exports, "no span export arrived"
    status, sent = collector.exports[0]
    assert status == 200
    assert (sent["authorization"], sent["x-team"], sent["x-tenant"]) == (f"Bearer {KEY}", "search team", "acme")


def test_without_the_key_exports_are_rejected(collector: Collector, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(API_KEY_ENV, raising=False)
    monkeypatch.delenv(CLIENT_HEADERS_ENV, raising=False)
    assert enable_tracing("agentkit-test-noauth", collector.url)
    RunnableLambda(lambda text: text, name="echo").invoke("hi")
    flush_traces()
    assert collector.exports and collector.exports[0][0] == 401 and "authorization" not in collector.exports[0][1]


def test_headers_from_the_env() -> None:
    assert exporter_headers({}) is None
    assert exporter_headers({API_KEY_ENV: "  "}) is None
    assert exporter_headers({API_KEY_ENV: " k1 "}) == {"authorization": "Bearer k1"}
    assert exporter_headers({CLIENT_HEADERS_ENV: "Authorization=Basic%20eDp5,x-list=1%2C2%3D3,,"}) == {
        "authorization": "Basic eDp5", "x-list": "1,2=3"}
    assert exporter_headers({CLIENT_HEADERS_ENV: "authorization=Basic%20eDp5", API_KEY_ENV: "k2"}) == {
        "authorization": "Bearer k2"}  # the key wins, as in phoenix.otel
    assert exporter_headers({CLIENT_HEADERS_ENV: "x-b=2", "OTEL_EXPORTER_OTLP_HEADERS": "x-a=1,x-b=0"}) == {
        "x-a": "1", "x-b": "2"}


@pytest.mark.parametrize(("env", "message"), [
    ({CLIENT_HEADERS_ENV: "x-team=a,px-s3cret"}, r"\$PHOENIX_CLIENT_HEADERS, entry 2 is not name=value"),
    ({CLIENT_HEADERS_ENV: "x team=a"}, r"entry 1 is not name=value with a header name; write it as name=value"),
    ({CLIENT_HEADERS_ENV: "=a"}, r"entry 1 is not name=value"),
    ({CLIENT_HEADERS_ENV: "x-a=1%0Ax-b: 2"}, r"entry 1 \('x-a'\) has a control character in its value"),
    ({API_KEY_ENV: "abc\ndef"}, r"\$PHOENIX_API_KEY contains a control character"),
])
def test_malformed_headers_are_config_errors_that_hide_values(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message) as info:
        exporter_headers(env)
    assert "s3cret" not in str(info.value) and "def" not in str(info.value)


def test_the_rest_client_sends_the_same_checked_headers(collector: Collector,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from agentkit.observability.client import connect

    monkeypatch.setenv(API_KEY_ENV, KEY)
    monkeypatch.setenv(CLIENT_HEADERS_ENV, "x-team=agents")
    headers = connect(collector.url).client._client.headers
    assert headers["authorization"] == f"Bearer {KEY}" and headers["x-team"] == "agents"
    monkeypatch.setenv(CLIENT_HEADERS_ENV, "x-team=a,px-s3cret")
    with pytest.raises(ConfigError, match=r"\$PHOENIX_CLIENT_HEADERS, entry 2 is not name=value") as error:
        connect(collector.url)
    assert "s3cret" not in str(error.value)

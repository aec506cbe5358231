"""agentkit.net.get_json against real HTTP servers on 127.0.0.1: retries, timeouts, errors,
429 with Retry-After, one pooled client."""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fake_apis import FakeApi, Reply, refused_url
from pydantic import BaseModel

from agentkit.errors import ConfigError
from agentkit.net import (
    BACKOFF_ENV, RETRIES_ENV, TIMEOUT_ENV, HttpPolicy, ServiceError, close_client, get_json, shared_client,
)


class Greeting(BaseModel):
    text: str
    count: int


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeApi]:
    """A server whose `/hello` echoes its query; fast retries and a short timeout."""
    monkeypatch.setenv(TIMEOUT_ENV, "0.3")
    monkeypatch.setenv(RETRIES_ENV, "2")
    monkeypatch.setenv(BACKOFF_ENV, "0.01")
    with FakeApi({"/hello": lambda q: Reply(body={"text": f"hi {q.get('name')}", "count": 1})}) as server:
        yield server


def test_returns_json_and_sends_params(api: FakeApi) -> None:
    assert get_json(f"{api.url}/hello", {"name": "Ana", "n": 2}) == {"text": "hi Ana", "count": 1}
    assert api.hits[0].query == {"name": "Ana", "n": "2"}


def test_validates_against_expected_model(api: FakeApi) -> None:
    assert get_json(f"{api.url}/hello", {"name": "Bo"}, expect=Greeting) == Greeting(text="hi Bo", count=1)
    api.queue("/hello", Reply(body={"text": "hi"}))
    with pytest.raises(ServiceError, match=r"Greeter: answered JSON of an unexpected shape: count: Field required"):
        get_json(f"{api.url}/hello", service="Greeter", expect=Greeting)


def test_retries_5xx_then_succeeds(api: FakeApi) -> None:
    api.queue("/hello", Reply(500, "oops", "text/plain"), Reply(503, "busy", "text/plain"))
    assert get_json(f"{api.url}/hello", {"name": "Cy"})["text"] == "hi Cy"
    assert api.count("/hello") == 3


def test_persistent_5xx_fails_after_bounded_retries(api: FakeApi) -> None:
    api.queue("/hello", *[Reply(500, {"error": "database down"})] * 5)
    with pytest.raises(ServiceError) as info:
        get_json(f"{api.url}/hello", service="Greeter")
    error = info.value
    assert (error.status, error.service, api.count("/hello")) == (500, "Greeter", 3)
    assert str(error) == (
        f'Greeter: HTTP 500 Internal Server Error (tried 3 times): {{"error": "database down"}} '
        f"({api.url}/hello); the service is failing; try again later"
    )


def test_4xx_is_not_retried_and_shows_the_body(api: FakeApi) -> None:
    api.queue("/hello", Reply(400, {"error": True, "reason": "Parameter 'name' is required"}))
    with pytest.raises(ServiceError, match=r"HTTP 400 Bad Request: .*'name' is required.*check its parameters"):
        get_json(f"{api.url}/hello")
    with pytest.raises(ServiceError, match=r"HTTP 404 Not Found: .*check the service's base URL") as info:
        get_json(f"{api.url}/nowhere")
    assert info.value.status == 404
    assert [hit.path for hit in api.hits] == ["/hello", "/nowhere"]


def test_garbage_body_is_a_clear_error(api: FakeApi) -> None:
    api.queue("/hello", Reply(200, "<html><body>Welcome to nginx!</body></html>", "text/html"))
    with pytest.raises(ServiceError, match=r"not JSON: <html><body>Welcome to nginx!</body></html> \("):
        get_json(f"{api.url}/hello")
    api.queue("/hello", Reply(200, ""))
    with pytest.raises(ServiceError, match=r"not JSON: \(empty body\)"):
        get_json(f"{api.url}/hello")
    assert api.count("/hello") == 2  # not retried


def test_hanging_endpoint_times_out_quickly(api: FakeApi) -> None:
    api.queue("/hello", *[Reply(hang=True)] * 3)
    start = time.monotonic()
    with pytest.raises(ServiceError, match=r"no answer within 0.2 s \(tried 2 times\).*AGENTKIT_HTTP_TIMEOUT"):
        get_json(f"{api.url}/hello", timeout=0.2, retries=1)
    assert time.monotonic() - start < 2
    assert api.count("/hello") == 2


def test_timeout_then_success(api: FakeApi) -> None:
    api.queue("/hello", Reply(hang=True))
    assert get_json(f"{api.url}/hello", {"name": "Di"}, timeout=0.2)["text"] == "hi Di"


def test_connection_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(BACKOFF_ENV, "0.01")
    url = refused_url()
    start = time.monotonic()
    with pytest.raises(ServiceError, match=r"Greeter: unreachable \(tried 3 times\).*check the network") as info:
        get_json(f"{url}/hello", service="Greeter")
    assert info.value.status is None and info.value.url == f"{url}/hello"
    assert time.monotonic() - start < 2


def test_policy_from_env_and_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TIMEOUT_ENV, "2.5")
    monkeypatch.setenv(RETRIES_ENV, "0")
    assert HttpPolicy.from_env() == HttpPolicy(timeout=2.5, retries=0)
    assert HttpPolicy.from_env(retries=4, backoff=None) == HttpPolicy(timeout=2.5, retries=4)
    monkeypatch.setenv(TIMEOUT_ENV, "soon")
    with pytest.raises(ConfigError, match=r"HTTP timeout from \$AGENTKIT_HTTP_TIMEOUT = 'soon' is invalid"):
        HttpPolicy.from_env()
    with pytest.raises(ConfigError, match=r"HTTP retries from retries = -1 is invalid.*whole number"):
        get_json("http://127.0.0.1:9/", timeout=1, retries=-1)


def test_backoff_is_exponential_bounded_and_jittered() -> None:
    policy = HttpPolicy(backoff=1, max_backoff=4)
    for attempt, ceiling in [(1, 1), (2, 2), (3, 4), (4, 4), (30, 4)]:
        delays = {policy.delay(attempt) for _ in range(50)}
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(delays) > 1


def test_invalid_url_is_not_retried() -> None:
    with pytest.raises(ServiceError, match=r"Greeter: invalid URL: .*missing an 'http://' or 'https://' protocol"):
        get_json("localhost:8080/hello", service="Greeter", retries=5, backoff=10)


class KeepAliveApi:
    """An HTTP/1.1 server on 127.0.0.1 that keeps connections open and counts them; it
    serves queued (status, headers) replies first, then 200 `{"ok": true}`."""

    def __init__(self) -> None:
        self.connections = 0
        self.requests: list[float] = []  # monotonic arrival times
        self.replies: deque[tuple[int, dict[str, str]]] = deque()
        api, lock = self, threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:  # once per TCP connection
                super().setup()
                with lock:
                    api.connections += 1

            def do_GET(self) -> None:
                with lock:
                    api.requests.append(time.monotonic())
                    status, headers = api.replies.popleft() if api.replies else (200, {})
                body = json.dumps({"ok": status == 200}).encode()
                self.send_response(status)
                for name, value in {"Content-Type": "application/json", **headers}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet."""

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/q"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def waits(self) -> list[float]:
        """Seconds between consecutive requests."""
        return [b - a for a, b in zip(self.requests, self.requests[1:])]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def keepalive(monkeypatch: pytest.MonkeyPatch) -> Iterator[KeepAliveApi]:
    monkeypatch.setenv(BACKOFF_ENV, "0.01")
    monkeypatch.setenv(RETRIES_ENV, "2")
    close_client()  # connections of earlier tests' servers are not counted here
    api = KeepAliveApi()
    yield api
    close_client()
    api.stop()


def test_429_is_retried_after_its_retry_after_seconds(keepalive: KeepAliveApi) -> None:
    keepalive.replies.append((429, {"Retry-After": "1"}))
    assert get_json(keepalive.url) == {"ok": True}
    assert len(keepalive.requests) == 2
    assert 0.95 <= keepalive.waits()[0] < 2  # the server's 1 s, not the 0.01 s backoff


def test_retry_after_as_an_http_date(keepalive: KeepAliveApi) -> None:
    keepalive.replies.append((503, {"Retry-After": formatdate(time.time() + 2, usegmt=True)}))
    assert get_json(keepalive.url) == {"ok": True}
    assert 0.9 <= keepalive.waits()[0] <= 2.5  # the date has whole seconds


def test_429_without_retry_after_backs_off_and_fails_after_bounded_retries(keepalive: KeepAliveApi) -> None:
    keepalive.replies.extend([(429, {})] * 3)
    with pytest.raises(ServiceError, match=r"Greeter: HTTP 429 Too Many Requests \(tried 3 times\).*"
                                           r"too many requests; try again later") as info:
        get_json(keepalive.url, service="Greeter")
    assert info.value.status == 429 and len(keepalive.requests) == 3
    assert all(wait < 0.5 for wait in keepalive.waits())


def test_a_retry_after_beyond_the_cap_fails_at_once(keepalive: KeepAliveApi) -> None:
    keepalive.replies.append((429, {"Retry-After": "3600"}))
    start = time.monotonic()
    with pytest.raises(ServiceError, match=r"HTTP 429 Too Many Requests \(not retried\).*"
                                           r"it asks to wait 3600 s before trying again"):
        get_json(keepalive.url)
    assert len(keepalive.requests) == 1 and time.monotonic() - start < 1


def test_one_connection_is_reused_across_calls_and_threads(keepalive: KeepAliveApi) -> None:
    for _ in range(5):
        assert get_json(keepalive.url) == {"ok": True}
    assert keepalive.connections == 1
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: get_json(keepalive.url), range(40)))
    assert answers == [{"ok": True}] * 40
    assert keepalive.connections <= 4  # the pool's connections, not one per call
    assert shared_client() is shared_client()
    opened = keepalive.connections
    close_client()  # as at exit; the next call opens a new client and connection
    assert get_json(keepalive.url) == {"ok": True} and keepalive.connections == opened + 1

"""A small `agentkit serve` (one sequence, a queue of one) under pressure and shutdown:
a request past the queue is refused at once with 503 and Retry-After; SIGTERM lets the
running request finish while new ones get 503, then the process exits."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from serve_process import Server, metric, sse_events, start_server, wait_for, workspace_with_repo_files

pytestmark = pytest.mark.model
BASE = "smollm2-135m"
LONG = {"model": BASE, "messages": [{"role": "user", "content": "Write a very long story about dragons."}],
        "max_tokens": 160}


@pytest.fixture(scope="module")
def small_server(tmp_path_factory: pytest.TempPathFactory, model_cache: Path) -> Iterator[Server]:
    workspace = workspace_with_repo_files(tmp_path_factory.mktemp("small"), [])
    running = start_server(workspace, "--parallel", "1", "--max-queue", "1", "--drain-timeout", "120")
    yield running
    running.stop()


def test_healthz_and_readyz(small_server: Server) -> None:
    assert httpx.get(f"{small_server.url}/healthz").json() == {"status": "ok"}
    ready = httpx.get(f"{small_server.url}/readyz").json()
    assert ready["status"] == "ready" and BASE in ready["models"]
    assert httpx.get(f"{small_server.url}/docs").status_code == 200
    assert "/v1/chat/completions" in httpx.get(f"{small_server.url}/openapi.json").json()["paths"]


def test_past_the_queue_a_request_is_refused_with_retry_after(small_server: Server) -> None:
    url = small_server.url
    results: dict[str, Any] = {}

    def call(name: str) -> None:
        results[name] = httpx.post(f"{url}/v1/chat/completions", json=LONG, timeout=300)

    running = threading.Thread(target=call, args=("running",))
    running.start()
    wait_for(lambda: metric(url, "agentkit_running_sequences", model=BASE) == 1, what="one running")
    queued = threading.Thread(target=call, args=("queued",))
    queued.start()
    wait_for(lambda: metric(url, "agentkit_queue_depth", model=BASE) == 1, what="one waiting")
    started = time.perf_counter()
    refused = httpx.post(f"{url}/v1/chat/completions", json=LONG, timeout=30)
    assert time.perf_counter() - started < 2  # at once, not after the queue
    assert refused.status_code == 503 and int(refused.headers["retry-after"]) >= 1
    assert "busy" in refused.json()["error"]["message"]
    running.join()
    queued.join()
    assert results["running"].status_code == results["queued"].status_code == 200
    assert metric(url, "agentkit_requests_total", kind="model", name=BASE, status="rejected") >= 1


def test_sigterm_finishes_what_runs_and_refuses_what_comes(small_server: Server) -> None:
    url, chunks = small_server.url, []
    with httpx.stream("POST", f"{url}/v1/chat/completions", json={**LONG, "stream": True}, timeout=300) as response:
        events = sse_events(response)
        chunks.append(next(events))
        small_server.process.send_signal(signal.SIGTERM)
        wait_for(lambda: httpx.get(f"{url}/readyz").status_code == 503, what="draining")
        late = httpx.post(f"{url}/v1/chat/completions", json=LONG, timeout=30)
        assert late.status_code == 503 and "shutting down" in late.json()["error"]["message"]
        assert httpx.get(f"{url}/healthz").status_code == 200  # the process is still up
        chunks += list(events)
    assert chunks[-1] == ("message", "[DONE]")
    finishes = [data["choices"][0]["finish_reason"] for _, data in chunks[:-1] if data["choices"]]
    assert finishes[-1] in ("stop", "length")
    assert small_server.process.wait(60) == 0
    assert "agentkit serve stopped" in small_server.log_text()

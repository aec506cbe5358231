"""Bad requests to `agentkit serve`: each is a 4xx naming what is wrong (a graph that raises
is a 500 with an error id and no stack trace, the trace being in the log under that id),
and none crashes the server or leaves the engine stuck."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from serve_process import Server, metric, wait_for

pytestmark = pytest.mark.model
BASE = "smollm2-135m"
HELLO = [{"role": "user", "content": "hello"}]
CASES: dict[str, tuple[str, Any, int, str, str | None]] = {
    # name: (path, body (bytes: raw), status, fragment of the message, the field it names)
    "malformed JSON": ("/v1/chat/completions", b'{"model": "x", "messages": [', 422, "not valid JSON", "body"),
    "wrong field type": ("/v1/chat/completions", {"model": BASE, "messages": HELLO, "max_tokens": "many"}, 422,
                         "max_tokens: Input should be a valid integer", "max_tokens"),
    "missing field": ("/v1/chat/completions", {"model": BASE}, 422, "messages: Field required", "messages"),
    "bad role": ("/v1/chat/completions", {"model": BASE, "messages": [{"role": "wizard", "content": "x"}]}, 422,
                 "messages.0.role", "messages.0.role"),
    "n above 1": ("/v1/chat/completions", {"model": BASE, "messages": HELLO, "n": 2}, 422, "n:", "n"),
    "logprobs": ("/v1/chat/completions", {"model": BASE, "messages": HELLO, "logprobs": True}, 422,
                 "logprobs are not supported", "body"),
    "unknown model": ("/v1/chat/completions", {"model": "gpt-5", "messages": HELLO}, 404,
                      "unknown model 'gpt-5'", "model"),
    "embedder as chat model": ("/v1/chat/completions", {"model": "all-minilm-l6-v2", "messages": HELLO}, 404,
                               "known: smollm2-135m", "model"),
    "unknown embedder": ("/v1/embeddings", {"model": BASE, "input": "x"}, 404, "known: all-minilm-l6-v2", "model"),
    "prompt over the context": ("/v1/chat/completions", {"model": BASE, "messages": [
        {"role": "user", "content": "word " * 9000}], "max_tokens": 16}, 400, "over by", None),
    "tool schema no grammar": ("/v1/chat/completions", {"model": BASE, "messages": HELLO, "tools": [
        {"type": "function", "function": {"name": "f", "parameters": {"type": "object", "properties": {
            "code": {"type": "string", "pattern": "(?=a)b"}}}}}]}, 400, "cannot compile", "tools"),
    "response schema no grammar": ("/v1/chat/completions", {"model": BASE, "messages": HELLO, "response_format": {
        "type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "string", "pattern": "(?!a)"}}}}, 400,
        "cannot compile", "response_format"),
    "tool_choice without tools": ("/v1/chat/completions", {"model": BASE, "messages": HELLO,
                                                           "tool_choice": "required"}, 422, "needs tools", "body"),
    "unknown graph": ("/graphs/nope/invoke", {"input": "x"}, 404, "unknown graph 'nope'", "graph"),
    "unknown channel": ("/graphs/chat/invoke", {"input": {"question": "x"}}, 422, "not a channel", "input"),
    "unknown thread state": ("/threads/no-such-thread/state", None, 404, "unknown thread", "thread_id"),
    "resume unknown thread": ("/threads/no-such-thread/resume", {"action": "approve"}, 404, "unknown thread",
                              "thread_id"),
    "resume bad decision": ("/threads/x/resume", {"action": "maybe"}, 422, "action", "action"),
    "unknown route": ("/v2/everything", None, 404, "no route GET /v2/everything", None),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_a_bad_request_is_a_clear_4xx(server: Server, case: str) -> None:
    path, body, status, fragment, param = CASES[case]
    if body is None:
        response = httpx.get(f"{server.url}{path}", timeout=60)
    elif isinstance(body, bytes):
        response = httpx.post(f"{server.url}{path}", content=body, headers={"content-type": "application/json"})
    else:
        response = httpx.post(f"{server.url}{path}", json=body, timeout=60)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert fragment in error["message"], error
    if param is not None:
        assert error["param"] == param, error
    assert "Traceback" not in response.text


def test_a_body_over_the_limit_is_413(server: Server) -> None:
    huge = b'{"model": "smollm2-135m", "messages": [{"role": "user", "content": "' + b"x" * (5 << 20) + b'"}]}'
    response = httpx.post(f"{server.url}/v1/chat/completions", content=huge,
                          headers={"content-type": "application/json"}, timeout=60)
    assert response.status_code == 413 and "limit is 4,194,304 bytes" in response.json()["error"]["message"]


def test_a_graph_that_raises_is_a_500_with_an_error_id_and_the_trace_only_in_the_log(server: Server) -> None:
    response = httpx.post(f"{server.url}/graphs/explode/invoke", json={"input": "x"}, timeout=60)
    assert response.status_code == 500
    error = response.json()["error"]
    assert "Traceback" not in response.text and "failed on purpose" not in response.text
    error_id = error["error_id"]
    assert error_id == response.headers["x-request-id"] and error_id in error["message"]
    wait_for(lambda: error_id in server.log_text(), what="the error id in the server log")
    logged = server.log_text()[server.log_text().index(error_id):]
    assert "Traceback" in logged and "the explode tool failed on purpose" in logged


def test_no_bad_request_leaves_the_server_down_or_the_engine_busy(server: Server) -> None:
    for case in CASES:
        test_a_bad_request_is_a_clear_4xx(server, case)
    assert httpx.get(f"{server.url}/healthz").json() == {"status": "ok"}
    wait_for(lambda: metric(server.url, "agentkit_running_sequences", model=BASE) == 0, what="no sequence left")
    reply = httpx.post(f"{server.url}/v1/chat/completions", json={"model": BASE, "messages": HELLO, "max_tokens": 3})
    assert reply.status_code == 200

"""The OpenAI-compatible provider against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse
from langchain_core.messages import HumanMessage, SystemMessage
from langchain_openai import ChatOpenAI

from agentkit.models import ChatModelConfig, get_chat_model


def _reply_to(body: dict[str, Any]) -> tuple[str, dict[str, int]]:
    """A deterministic answer and OpenAI-style usage (tokens counted as words)."""
    text = "echo: " + body["messages"][-1]["content"]
    prompt = sum(len(str(m["content"]).split()) for m in body["messages"])
    completion = len(text.split())
    return text, {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def openai_app(requests: list[dict[str, Any]]) -> FastAPI:
    """`/v1/chat/completions` in OpenAI's response format, streamed or not."""
    app = FastAPI()

    @app.post("/v1/chat/completions")
    async def completions(request: Request) -> Any:
        body = await request.json()
        requests.append({"body": body, "authorization": request.headers.get("authorization")})
        text, usage = _reply_to(body)
        base = {"id": "chatcmpl-1", "created": int(time.time()), "model": body["model"]}
        if not body.get("stream"):
            return JSONResponse(
                {
                    **base,
                    "object": "chat.completion",
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": text},
                            "logprobs": None,
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": usage,
                }
            )

        async def events() -> AsyncIterator[str]:
            chunk = {**base, "object": "chat.completion.chunk"}
            for i, word in enumerate(text.split(" ")):
                delta = {"content": word if i == 0 else " " + word}
                choice = {"index": 0, "delta": delta, "finish_reason": None}
                yield f"data: {json.dumps({**chunk, 'choices': [choice]})}\n\n"
            done = {"index": 0, "delta": {}, "finish_reason": "stop"}
            yield f"data: {json.dumps({**chunk, 'choices': [done]})}\n\n"
            if body.get("stream_options", {}).get("include_usage"):
                yield f"data: {json.dumps({**chunk, 'choices': [], 'usage': usage})}\n\n"
            yield "data: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    return app


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A uvicorn server in a thread on a free loopback port; yields (base_url, requests)."""
    requests: list[dict[str, Any]] = []
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    instance = uvicorn.Server(uvicorn.Config(openai_app(requests), log_level="warning"))
    thread = threading.Thread(target=instance.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not instance.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert instance.started, "test server did not start"
    yield f"http://127.0.0.1:{port}/v1", requests
    instance.should_exit = True
    thread.join(timeout=10)
    sock.close()


MESSAGES = [SystemMessage("Be brief."), HumanMessage("hello there")]


def test_invoke_returns_content_and_usage(
    server: tuple[str, list[dict[str, Any]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    base_url, requests = server
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    config = ChatModelConfig(
        provider="openai", model="served-model", base_url=base_url, max_tokens=32
    )
    chat = get_chat_model(config)
    assert isinstance(chat, ChatOpenAI)
    assert get_chat_model(config) is chat

    reply = chat.invoke(MESSAGES)
    assert reply.content == "echo: hello there"
    assert reply.usage_metadata is not None
    assert (reply.usage_metadata["input_tokens"], reply.usage_metadata["output_tokens"]) == (4, 3)
    assert reply.usage_metadata["total_tokens"] == 7
    assert reply.response_metadata["finish_reason"] == "stop"

    sent = requests[-1]
    assert sent["body"]["model"] == "served-model"
    assert sent["body"]["temperature"] == 0.0
    assert 32 in (sent["body"].get("max_tokens"), sent["body"].get("max_completion_tokens"))
    assert [m["role"] for m in sent["body"]["messages"]] == ["system", "user"]
    assert sent["authorization"] == "Bearer not-needed"  # local endpoint: placeholder key


def test_stream_aggregates_content_and_usage(
    server: tuple[str, list[dict[str, Any]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    base_url, requests = server
    monkeypatch.setenv("AGENTKIT_TEST_KEY", "sk-test-123")
    config = ChatModelConfig(
        provider="openai", model="served-model", base_url=base_url, api_key_env="AGENTKIT_TEST_KEY"
    )
    chunks = list(get_chat_model(config).stream(MESSAGES))
    assert len([c for c in chunks if c.content]) == 3
    whole = sum(chunks[1:], chunks[0])
    assert whole.content == "echo: hello there"
    assert whole.usage_metadata is not None
    assert whole.usage_metadata["total_tokens"] == 7
    assert requests[-1]["authorization"] == "Bearer sk-test-123"
    assert requests[-1]["body"]["stream_options"] == {"include_usage": True}

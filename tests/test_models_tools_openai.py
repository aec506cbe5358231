"""OpenAI-compatible endpoints call tools natively: ChatOpenAI's `bind_tools` and
`with_structured_output` against a real HTTP server on 127.0.0.1 answering with tool calls."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI, Request
from langchain_core.tools import tool
from pydantic import BaseModel

from agentkit.models import ChatModelConfig, get_chat_model

ARGUMENTS = {
    "get_weather": json.dumps({"city": "Zurich"}),
    "Person": json.dumps({"name": "Ana", "age": 31}),
}


def tool_calling_app(requests: list[dict[str, Any]]) -> FastAPI:
    """`/v1/chat/completions` answering every request with calls of the offered tools
    (arguments that are not JSON for a tool named `broken`)."""
    app = FastAPI()

    @app.post("/v1/chat/completions")
    async def completions(request: Request) -> Any:
        body = await request.json()
        requests.append(body)
        calls = [
            {
                "id": f"call_{index}",
                "type": "function",
                "function": {
                    "name": offered["function"]["name"],
                    "arguments": ARGUMENTS.get(offered["function"]["name"], '{"city": '),
                },
            }
            for index, offered in enumerate(body.get("tools", []))
        ]
        return {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body["model"],
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": None, "tool_calls": calls},
                    "logprobs": None,
                    "finish_reason": "tool_calls",
                }
            ],
            "usage": {"prompt_tokens": 20, "completion_tokens": 9, "total_tokens": 29},
        }

    return app


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A uvicorn server in a thread on a free loopback port; yields (base_url, requests)."""
    requests: list[dict[str, Any]] = []
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    instance = uvicorn.Server(uvicorn.Config(tool_calling_app(requests), log_level="warning"))
    thread = threading.Thread(target=instance.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not instance.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert instance.started, "test server did not start"
    yield f"http://127.0.0.1:{sock.getsockname()[1]}/v1", requests
    instance.should_exit = True
    thread.join(timeout=10)
    sock.close()


@tool
def get_weather(city: str) -> str:
    """Get the current weather for a city."""
    return city


@tool
def broken(city: str) -> str:
    """A tool the server answers with arguments that are not JSON."""
    return city


class Person(BaseModel):
    name: str
    age: int


def chat_model(base_url: str) -> Any:
    return get_chat_model(ChatModelConfig(provider="openai", model="served", base_url=base_url))


def test_tool_calls_response_becomes_ai_message_tool_calls(
    server: tuple[str, list[dict[str, Any]]],
) -> None:
    base_url, requests = server
    bound = chat_model(base_url).bind_tools([get_weather, broken], tool_choice="required")
    reply = bound.invoke("What's the weather in Zurich?")
    assert reply.tool_calls == [
        {"name": "get_weather", "args": {"city": "Zurich"}, "id": "call_0", "type": "tool_call"}
    ]
    [invalid] = reply.invalid_tool_calls
    assert (invalid["name"], invalid["args"], invalid["id"]) == ("broken", '{"city": ', "call_1")
    assert reply.usage_metadata["total_tokens"] == 29
    sent = requests[-1]
    assert [t["function"]["name"] for t in sent["tools"]] == ["get_weather", "broken"]
    assert sent["tool_choice"] == "required"


def test_structured_output_over_function_calling(
    server: tuple[str, list[dict[str, Any]]],
) -> None:
    base_url, requests = server
    structured = chat_model(base_url).with_structured_output(Person, method="function_calling")
    assert structured.invoke("Ana is 31.") == Person(name="Ana", age=31)
    assert requests[-1]["tool_choice"]["function"]["name"] == "Person"

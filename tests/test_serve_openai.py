"""`agentkit serve`'s OpenAI-compatible API with the real local model, driven by the official
`openai` client, LangChain's `ChatOpenAI`, httpx and an SSE reader against a real server
process on 127.0.0.1; concurrency shares forward passes, a client that goes away frees its
slot, and /metrics is scraped and parsed."""

from __future__ import annotations

import base64
import json
import threading
from pathlib import Path

import httpx
import jsonschema
import numpy as np
import openai
import pytest
from langchain_core.tools import tool
from langchain_openai import ChatOpenAI
from pydantic import BaseModel
from serve_process import Server, metric, sse_events, wait_for

from agentkit.engine.runner import run_graph
from agentkit.models import EmbeddingsConfig, get_embeddings
from agentkit.telemetry.store import TELEMETRY_FILE, read_records

pytestmark = pytest.mark.model
BASE, TOOLS_ID = "smollm2-135m", "smollm2-135m:tool_calls"
CALCULATOR = {"type": "function", "function": {
    "name": "calculator", "description": "Evaluate an arithmetic expression.",
    "parameters": {"type": "object", "properties": {"expression": {"type": "string"}}, "required": ["expression"]}}}
COUNT = [{"role": "user", "content": "List the numbers 1 to 7 separated by commas."}]


@pytest.fixture(scope="module")
def client(server: Server) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{server.url}/v1", api_key="not-needed", max_retries=0)


def test_models_lists_the_base_each_adapter_and_the_embedder(client: openai.OpenAI) -> None:
    ids = [m.id for m in client.models.list()]
    assert ids == [BASE, "smollm2-135m:polite_tone", TOOLS_ID, "all-minilm-l6-v2"]


def test_a_completion_and_its_stream_say_the_same_with_usage(client: openai.OpenAI) -> None:
    reply = client.chat.completions.create(model=BASE, messages=COUNT, max_tokens=24)
    text = reply.choices[0].message.content
    assert "1, 2, 3, 4, 5, 6, 7" in text and reply.choices[0].finish_reason == "stop"
    assert reply.usage.prompt_tokens > 10 and 0 < reply.usage.completion_tokens <= 24
    assert reply.usage.total_tokens == reply.usage.prompt_tokens + reply.usage.completion_tokens
    chunks = list(client.chat.completions.create(model=BASE, messages=COUNT, max_tokens=24, stream=True,
                                                 stream_options={"include_usage": True}))
    pieces = [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content]
    assert len(pieces) >= 7 and "".join(pieces) == text
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].choices == [] and chunks[-1].usage.model_dump() == reply.usage.model_dump() | {
        "completion_tokens_details": None, "prompt_tokens_details": None}


def test_sampling_options_seed_stop_and_max_completion_tokens(client: openai.OpenAI) -> None:
    sample = {"model": BASE, "messages": COUNT, "temperature": 1.3, "top_p": 0.9, "max_tokens": 12}
    texts = [client.chat.completions.create(seed=seed, **sample).choices[0].message.content for seed in (5, 5, 6, 7)]
    assert texts[0] == texts[1] and len(set(texts[1:])) > 1
    stopped = client.chat.completions.create(model=BASE, messages=COUNT, stop=[", 4"], max_tokens=24)
    assert stopped.choices[0].message.content.endswith("3") and "4" not in stopped.choices[0].message.content
    capped = client.chat.completions.create(model=BASE, messages=COUNT, max_completion_tokens=3)
    assert capped.usage.completion_tokens == 3 and capped.choices[0].finish_reason == "length"


def test_tool_calls_are_schema_valid_for_required_named_and_the_adapter(client: openai.OpenAI) -> None:
    question = [{"role": "user", "content": "What is 12 times 7?"}]
    reply = client.chat.completions.create(model=TOOLS_ID, messages=question, tools=[CALCULATOR],
                                           tool_choice="required")
    [call] = reply.choices[0].message.tool_calls
    assert reply.choices[0].finish_reason == "tool_calls" and reply.choices[0].message.content is None
    assert (call.function.name, json.loads(call.function.arguments)) == ("calculator", {"expression": "12 * 7"})
    weather = {"type": "function", "function": {"name": "weather", "description": "Weather in a city.",
                                                "parameters": {"type": "object", "properties": {
                                                    "city": {"type": "string"}}, "required": ["city"]}}}
    named = client.chat.completions.create(model=BASE, messages=question, tools=[CALCULATOR, weather],
                                           tool_choice={"type": "function", "function": {"name": "weather"}})
    [forced] = named.choices[0].message.tool_calls
    assert forced.function.name == "weather"
    jsonschema.validate(json.loads(forced.function.arguments), weather["function"]["parameters"])
    streamed = list(client.chat.completions.create(model=TOOLS_ID, messages=question, tools=[CALCULATOR],
                                                   tool_choice="required", stream=True))
    [delta] = [c.choices[0].delta.tool_calls for c in streamed if c.choices and c.choices[0].delta.tool_calls]
    assert json.loads(delta[0].function.arguments) == {"expression": "12 * 7"}


def test_json_schema_and_json_object_replies_parse(client: openai.OpenAI) -> None:
    schema = {"type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
              "required": ["name", "age"]}
    messages = [{"role": "user", "content": "Ana is 31 years old. Give her name and age as JSON."}]
    reply = client.chat.completions.create(model=BASE, messages=messages, max_tokens=40, response_format={
        "type": "json_schema", "json_schema": {"name": "person", "schema": schema, "strict": True}})
    person = json.loads(reply.choices[0].message.content)
    jsonschema.validate(person, schema)
    assert person == {"name": "Ana", "age": 31}
    anything = client.chat.completions.create(model=BASE, messages=messages, max_tokens=40,
                                              response_format={"type": "json_object"})
    assert isinstance(json.loads(anything.choices[0].message.content), dict)


def test_embeddings_equal_the_in_process_embedder(client: openai.OpenAI) -> None:
    texts = ["Green tea is brewed at eighty degrees.", "Checkpoints live in SQLite."]
    served = client.embeddings.create(model="all-minilm-l6-v2", input=texts)
    local = get_embeddings(EmbeddingsConfig()).embed_documents(texts)
    assert [len(d.embedding) for d in served.data] == [384, 384]
    assert np.allclose([d.embedding for d in served.data], local, atol=1e-5)
    assert served.usage.prompt_tokens == served.usage.total_tokens > 10
    encoded = client.embeddings.create(model="all-minilm-l6-v2", input=texts[0], encoding_format="base64")
    assert np.allclose(np.frombuffer(base64.b64decode(encoded.data[0].embedding), dtype=np.float32), local[0],
                       atol=1e-5)


class Person(BaseModel):
    name: str
    age: int


@tool
def calculator(expression: str) -> str:
    """Evaluate an arithmetic expression."""
    return expression


def test_chat_openai_invokes_streams_calls_tools_and_structures(server: Server) -> None:
    llm = ChatOpenAI(model=BASE, base_url=f"{server.url}/v1", api_key="not-needed", max_tokens=24, temperature=0,
                     stream_usage=True)
    said = llm.invoke(COUNT)
    assert "1, 2, 3, 4, 5, 6, 7" in said.content and said.usage_metadata["output_tokens"] > 0
    chunks = list(llm.stream(COUNT))
    assert "".join(str(c.content) for c in chunks) == said.content
    assert sum(chunks[1:], chunks[0]).usage_metadata == said.usage_metadata
    tools = ChatOpenAI(model=TOOLS_ID, base_url=f"{server.url}/v1", api_key="x", max_tokens=48, temperature=0)
    reply = tools.bind_tools([calculator], tool_choice="any").invoke("What is 12 times 7?")
    assert [(c["name"], c["args"]) for c in reply.tool_calls] == [("calculator", {"expression": "12 * 7"})]
    person = llm.with_structured_output(Person, method="json_schema").invoke("Ana is 31 years old.")
    assert person == Person(name="Ana", age=31)


def test_a_graph_on_the_server_answers_as_the_local_model(server: Server, write_graph) -> None:
    graph = """\
        name: haiku_{provider}
        input: topic
        output: poem
        state: {{topic: str, poem: str}}
        resources:
          llm: {{kind: chat_model, {model}, max_tokens: 24}}
        nodes:
          write: {{kind: llm, llm: llm, system: "You write one short line.", template: "A line about {{topic}}.",
                  output: poem}}
        edges: [[START, write], [write, END]]
        """
    local = write_graph(graph.format(provider="local", model="provider: local"), "local.yaml")
    served = write_graph(graph.format(provider="openai", model=f"provider: openai, base_url: '{server.url}/v1', "
                                                                f"model: {BASE}"), "served.yaml")
    answers = [run_graph(path, topic, trace=False).answer for path in (local, served) for topic in ("rain", "tea")]
    assert answers[:2] == answers[2:] and all(answers)


def test_concurrent_streams_share_forward_passes(server: Server, client: openai.OpenAI) -> None:
    before = metric(server.url, "agentkit_batch_size_sum", name=BASE), metric(server.url, "agentkit_batch_size_count",
                                                                               name=BASE)
    texts: dict[int, str] = {}

    def stream(i: int) -> None:
        chunks = client.chat.completions.create(model=BASE, messages=COUNT, max_tokens=24, stream=True)
        texts[i] = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)

    threads = [threading.Thread(target=stream, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(texts) == 8 and len(set(texts.values())) == 1 and "1, 2, 3" in texts[0]
    mean_batch = (metric(server.url, "agentkit_batch_size_sum", name=BASE) - before[0]) / (
        metric(server.url, "agentkit_batch_size_count", name=BASE) - before[1])
    assert mean_batch > 2  # the 8 requests were decoded together, not one after another


def test_a_client_that_disconnects_frees_its_slot(server: Server) -> None:
    body = {"model": BASE, "messages": [{"role": "user", "content": "Write a very long story about dragons."}],
            "max_tokens": 400, "stream": True}
    with httpx.stream("POST", f"{server.url}/v1/chat/completions", json=body, timeout=60) as response:
        events = sse_events(response)
        for _ in range(4):
            next(events)
        assert metric(server.url, "agentkit_running_sequences", model=BASE) == 1
    wait_for(lambda: metric(server.url, "agentkit_running_sequences", model=BASE) == 0, what="slot freed")
    assert metric(server.url, "agentkit_queue_depth", model=BASE) == 0
    database = server.workspace / ".agentkit" / TELEMETRY_FILE
    wait_for(lambda: any(r.status == "cancelled" for r in read_records(database)), what="the cancelled call recorded")
    assert httpx.get(f"{server.url}/healthz").json() == {"status": "ok"}


def test_metrics_count_requests_tokens_and_latency(server: Server, client: openai.OpenAI) -> None:
    requests_before = metric(server.url, "agentkit_requests_total", kind="model", name=BASE, status="ok")
    reply = client.chat.completions.create(model=BASE, messages=COUNT, max_tokens=5)
    assert metric(server.url, "agentkit_requests_total", kind="model", name=BASE, status="ok") == requests_before + 1
    assert metric(server.url, "agentkit_tokens_total", kind="model", name=BASE, direction="output") >= \
        reply.usage.completion_tokens
    assert metric(server.url, "agentkit_request_latency_seconds_count", kind="model", name=BASE, status="ok") >= 1
    assert metric(server.url, "agentkit_time_to_first_token_seconds_count", kind="model", name=BASE) >= 1
    assert metric(server.url, "agentkit_cost_dollars_total", kind="model", name=BASE) > 0  # priced in agentkit.yaml
    assert metric(server.url, "agentkit_parallel_sequences", model=BASE) == 8


def test_every_call_is_in_the_workspace_telemetry(server: Server, client: openai.OpenAI, workspace: Path) -> None:
    client.chat.completions.create(model=TOOLS_ID, messages=COUNT, max_tokens=4)
    database = server.workspace / ".agentkit" / TELEMETRY_FILE
    wait_for(lambda: any(r.model == TOOLS_ID and r.output_tokens == 4 for r in read_records(database)),
             what="the adapter call recorded")
    record = [r for r in read_records(database) if r.model == TOOLS_ID and r.adapter == "tool_calls"][-1]
    assert record.source == "serve" and record.output_tokens == 4 and record.first_token_s <= record.latency_s
    assert record.cost == pytest.approx((record.input_tokens * 0.5 + record.output_tokens * 1.5) / 1e6)

"""The OpenAI-compatible model API: `/v1/models`, `/v1/chat/completions` (streaming, tools,
JSON output, usage) and `/v1/embeddings`, answered by the local models through the same
engine and the same constrained decoding as in-process calls."""

from __future__ import annotations

import asyncio
import base64
import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import numpy as np
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, StreamingResponse
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, convert_to_messages
from langchain_core.runnables import Runnable
from starlette.concurrency import run_in_threadpool

from agentkit.access.keys import ApiKey
from agentkit.errors import AgentkitError
from agentkit.models.embeddings import token_counts
from agentkit.models.grammar import grammar_engine
from agentkit.models.llama.engine import EngineBusy
from agentkit.models.local_chat import LocalChatModel
from agentkit.server.auth import caller
from agentkit.server.errors import ApiError, bad_request, busy, timed_out
from agentkit.server.openai_schema import ChatCompletionRequest, EmbeddingRequest, NamedToolChoice
from agentkit.server.state import ServerState
from agentkit.telemetry.records import CallRecord
from agentkit.workspace_config import ServeLimits

router = APIRouter(tags=["OpenAI-compatible"])


def _state(request: Request) -> ServerState:
    return request.app.state.server


@router.get("/v1/models")
async def list_models(request: Request) -> dict[str, Any]:
    """The served models: the chat model, one id per adapter, the embedder."""
    return {"object": "list", "data": _state(request).models.listing(_state(request).started)}


@router.post("/v1/chat/completions", response_model=None)
async def chat_completions(body: ChatCompletionRequest, request: Request) -> JSONResponse | StreamingResponse:
    """A chat completion (streamed as server-sent events with `stream: true`)."""
    state = _state(request)
    call = _Call(state, body, request.state.request_id, caller(request))
    model = state.models.chat_model(body.model)
    limits = state.config.limits
    runnable = _runnable(model, body, limits)
    messages = _messages(body)
    if limits.max_prompt_tokens is not None:
        _check_prompt(model.get_num_tokens_from_messages(messages), limits.max_prompt_tokens)
    config = {"metadata": {"request_id": call.request_id}, "run_name": "chat.completions"}
    deadline = time.monotonic() + limits.request_timeout
    if body.stream:
        return await _streaming(call, runnable, messages, config, deadline)
    reply = await _until_disconnected(request, call, runnable.ainvoke(messages, config), deadline)
    call.finished(reply)
    return JSONResponse(call.completion(reply))


@router.post("/v1/embeddings")
async def embeddings(body: EmbeddingRequest, request: Request) -> dict[str, Any]:
    """Embeddings of one text or a list of texts (normalized, as the stores use them)."""
    state = _state(request)
    embedder = state.models.embedder(body.model)
    texts = body.texts
    if not texts or any(not isinstance(text, str) for text in texts):
        raise ApiError(422, "input: give a text or a non-empty list of texts", param="input")
    started = time.perf_counter()
    vectors = await run_in_threadpool(embedder.embed_documents, texts)
    if body.dimensions is not None and body.dimensions != len(vectors[0]):
        raise ApiError(400, f"dimensions: {body.model} makes {len(vectors[0])}-dimensional vectors; leave "
                            f"dimensions out or set it to {len(vectors[0])}", param="dimensions")
    tokens, key = sum(token_counts(embedder, texts)), caller(request)
    state.key_limits.spend(key, tokens)
    state.telemetry.record(CallRecord(kind="model", model=body.model, source="serve", input_tokens=tokens,
                                      key=key.id if key else "", latency_s=time.perf_counter() - started))
    return {"object": "list", "model": body.model, "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
            "data": [{"object": "embedding", "index": i, "embedding": _encoded(v, body.encoding_format)}
                     for i, v in enumerate(vectors)]}


def _encoded(vector: list[float], encoding: str) -> list[float] | str:
    if encoding == "base64":
        return base64.b64encode(np.asarray(vector, dtype=np.float32).tobytes()).decode()
    return vector


def _messages(body: ChatCompletionRequest) -> list[BaseMessage]:
    turns = [m.model_dump(exclude_none=True) for m in body.messages]
    for turn in turns:
        if turn["role"] == "developer":  # OpenAI's newer name for the system role
            turn["role"] = "system"
    try:
        return convert_to_messages(turns)
    except (ValueError, TypeError, KeyError) as exc:
        raise ApiError(422, f"messages: {exc}", param="messages") from None


def _check_prompt(tokens: int, limit: int) -> None:
    if tokens > limit:
        raise ApiError(400, f"messages: the prompt has {tokens:,} tokens, over this server's limit of {limit:,} by "
                            f"{tokens - limit:,}; send fewer or shorter messages", param="messages",
                       code="prompt_too_long")


def _runnable(model: LocalChatModel, body: ChatCompletionRequest, limits: ServeLimits) -> Runnable:
    """The model bound to the request's options, tools or response format (400 when a tool
    schema or response format cannot become a grammar, or max_tokens is over the limit)."""
    cap = limits.max_completion_tokens
    if body.token_limit is not None and body.token_limit > cap:
        raise ApiError(400, f"max_tokens: {body.token_limit:,} is over this server's limit of {cap:,}; ask for at "
                            f"most {cap:,}", param="max_tokens", code="max_tokens_too_large")
    options: dict[str, Any] = {key: value for key, value in {
        "max_tokens": body.token_limit or min(model.max_tokens, cap), "temperature": body.temperature,
        "top_p": body.top_p, "seed": body.seed, "stop": body.stops or None}.items() if value is not None}
    if body.tools and body.response_format is not None and body.response_format.type != "text":
        raise ApiError(400, "give either tools or a JSON response_format, not both", param="response_format")
    if body.tools and body.tool_choice != "none":
        choice: Any = body.tool_choice.function.name if isinstance(body.tool_choice, NamedToolChoice) \
            else body.tool_choice
        try:
            return model.bind_tools([t.model_dump(exclude_none=True) for t in body.tools], tool_choice=choice,
                                    parallel_tool_calls=body.parallel_tool_calls).bind(**options)
        except AgentkitError as exc:
            raise bad_request(exc, "tools") from None
    schema = body.response_format.schema_or_none() if body.response_format else None
    if schema is not None:
        try:
            grammar_engine(model.tokens).json_schema(schema, "response_format")
        except AgentkitError as exc:
            raise bad_request(exc, "response_format") from None
        options["response_format"] = schema
    return model.bind(**options)


class _Call:
    """One chat completion: its answer's shape and its telemetry."""

    def __init__(self, state: ServerState, body: ChatCompletionRequest, request_id: str, key: ApiKey | None) -> None:
        self.state, self.body, self.request_id, self.key = state, body, request_id, key
        self.id = f"chatcmpl-{uuid.uuid4().hex[:24]}"
        self.created = int(time.time())
        self.started = time.perf_counter()
        self.first_token: float | None = None

    def completion(self, reply: AIMessage) -> dict[str, Any]:
        calls = _tool_calls(reply)
        message: dict[str, Any] = {"role": "assistant", "content": None if calls else str(reply.content)}
        if calls:
            message["tool_calls"] = calls
        return {"id": self.id, "object": "chat.completion", "created": self.created, "model": self.body.model,
                "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": _finish(reply)}],
                "usage": _usage(reply)}

    def chunk(self, delta: dict[str, Any], finish: str | None = None) -> str:
        return _event({"id": self.id, "object": "chat.completion.chunk", "created": self.created,
                       "model": self.body.model, "choices": [{"index": 0, "delta": delta, "logprobs": None,
                                                               "finish_reason": finish}]})

    def usage_chunk(self, reply: AIMessage) -> str:
        return _event({"id": self.id, "object": "chat.completion.chunk", "created": self.created,
                       "model": self.body.model, "choices": [], "usage": _usage(reply)})

    def finished(self, reply: AIMessage | None, status: str = "ok") -> None:
        usage = (reply.usage_metadata or {}) if reply is not None else {}
        meta = reply.response_metadata if reply is not None else {}
        first = meta.get("first_token_s") if self.first_token is None else self.first_token - self.started
        tokens_in, tokens_out = int(usage.get("input_tokens", 0)), int(usage.get("output_tokens", 0))
        self.state.key_limits.spend(self.key, tokens_in + tokens_out)
        self.state.telemetry.record(CallRecord(
            kind="model", model=self.body.model, adapter=str(meta.get("adapter", "")), source="serve",
            key=self.key.id if self.key else "", input_tokens=tokens_in, output_tokens=tokens_out,
            first_token_s=first, latency_s=time.perf_counter() - self.started,
            queue_s=float(meta.get("queue_s") or 0.0), cpu_s=float(meta.get("cpu_s") or 0.0),
            batch_size=float(meta.get("batch_size") or 0.0), status=status,  # type: ignore[arg-type]
            error_id=self.request_id if status == "error" else ""))


async def _streaming(call: _Call, runnable: Runnable, messages: list[BaseMessage], config: dict[str, Any],
                     deadline: float) -> StreamingResponse:
    """The stream, begun before answering so that a refusal (busy, too long, timed out before
    its first token) is a plain HTTP error rather than an event inside a 200; a stream that
    runs past the deadline ends with an error event."""
    chunks = runnable.astream(messages, config)
    try:
        async with asyncio.timeout_at(_loop_time(deadline)):
            first = await chunks.__anext__()
    except StopAsyncIteration:
        first = AIMessageChunk(content="")
    except BaseException as exc:
        await chunks.aclose()
        raise _refusal(exc, call) from None
    call.first_token = time.perf_counter()
    include_usage = bool(call.body.stream_options and call.body.stream_options.include_usage)

    async def events() -> AsyncIterator[str]:
        whole: AIMessageChunk = first
        status = "cancelled"
        try:
            yield call.chunk({"role": "assistant", "content": ""})
            if first.content:
                yield call.chunk({"content": first.content})
            try:
                async with asyncio.timeout_at(_loop_time(deadline)):
                    async for piece in chunks:
                        whole = whole + piece
                        if piece.content:
                            yield call.chunk({"content": piece.content})
            except TimeoutError:
                status = "timeout"
                yield _event({"error": timed_out(call.state.config.limits.request_timeout).body()})
                return
            reply = AIMessage(**{k: getattr(whole, k) for k in ("content", "tool_calls", "usage_metadata",
                                                                   "response_metadata")})
            calls = _tool_calls(reply)
            if calls:
                yield call.chunk({"tool_calls": [{"index": i, **c} for i, c in enumerate(calls)]})
            yield call.chunk({}, _finish(reply))
            if include_usage:
                yield call.usage_chunk(reply)
            yield "data: [DONE]\n\n"
            status = "ok"
            call.finished(reply)
        finally:
            await chunks.aclose()  # a client that went away cancels the generation: its slot is freed
            if status != "ok":
                call.finished(None, status)

    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


async def _until_disconnected(request: Request, call: _Call, work: Any, deadline: float) -> AIMessage:
    """`work` (a model call), cancelled if the client disconnects or the deadline passes first."""
    task = asyncio.ensure_future(work)
    while not task.done():
        done, _ = await asyncio.wait({task}, timeout=min(0.25, max(0.0, deadline - time.monotonic())))
        if done:
            break
        if time.monotonic() >= deadline:
            task.cancel()
            call.finished(None, "timeout")
            raise timed_out(call.state.config.limits.request_timeout)
        if await request.is_disconnected():
            task.cancel()
            call.finished(None, "cancelled")
            raise ApiError(499, "the client closed the request")
    try:
        return task.result()
    except BaseException as exc:
        raise _refusal(exc, call) from None


def _refusal(exc: BaseException, call: _Call) -> BaseException:
    """The HTTP error for a model call that failed (recorded as rejected or error)."""
    if isinstance(exc, EngineBusy):
        call.finished(None, "rejected")
        return busy(exc.retry_after, str(exc))
    if isinstance(exc, AgentkitError):
        call.finished(None, "rejected")
        return bad_request(exc)
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, TimeoutError):  # no first token before the deadline
        call.finished(None, "timeout")
        return timed_out(call.state.config.limits.request_timeout)
    call.finished(None, "error")
    return exc


def _tool_calls(reply: AIMessage) -> list[dict[str, Any]]:
    return [{"id": c["id"], "type": "function",
             "function": {"name": c["name"], "arguments": json.dumps(c["args"], ensure_ascii=False)}}
            for c in reply.tool_calls]


def _finish(reply: AIMessage) -> str:
    if reply.tool_calls:
        return "tool_calls"
    return "length" if reply.response_metadata.get("finish_reason") == "length" else "stop"


def _usage(reply: AIMessage) -> dict[str, int]:
    usage = reply.usage_metadata or {}
    prompt, completion = int(usage.get("input_tokens", 0)), int(usage.get("output_tokens", 0))
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def _loop_time(deadline: float) -> float:
    """A `time.monotonic()` deadline on the event loop's clock."""
    return asyncio.get_running_loop().time() + deadline - time.monotonic()


def _event(payload: dict[str, Any]) -> str:
    return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n"

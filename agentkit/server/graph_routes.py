"""The graph API, shaped like LangGraph Server's: list graphs, invoke or stream a run on a
thread, read a thread's state and history, resume a run paused for approval."""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from langgraph.types import Command
from pydantic import BaseModel, ConfigDict, Field

from agentkit.engine.runner import check_thread_id
from agentkit.errors import AgentkitError, ContextLengthError, RunError
from agentkit.nodes.agent import ToolDecision
from agentkit.server.auth import caller
from agentkit.server.errors import ApiError, bad_request, internal_error, timed_out
from agentkit.server.served_graphs import RunOutcome, ServedGraph
from agentkit.server.state import ServerState
from agentkit.telemetry.callbacks import TelemetryCallback
from agentkit.telemetry.records import CallRecord

router = APIRouter(tags=["graphs"])
_RUNNING: set[asyncio.Task[None]] = set()  # streamed runs go on to their next event after a disconnect


class GraphFailed(RuntimeError):
    """A run failed inside the graph (answered as a 500 with an error id)."""


class GraphRunRequest(BaseModel):
    """A run: the input channel's value (or an object of channel values) and the thread to
    run on (a new one when left out)."""

    model_config = ConfigDict(extra="forbid")

    input: Any = Field(description="the input channel's value, or {channel: value}")
    thread_id: str | None = Field(None, min_length=1, max_length=200)


def _state(request: Request) -> ServerState:
    return request.app.state.server


@router.get("/graphs")
async def list_graphs(request: Request) -> dict[str, Any]:
    """Every served graph; `skipped` lists graph files that did not validate, with why."""
    graphs = _state(request).graphs
    return {"graphs": [g.describe() for g in graphs.graphs.values()], "skipped": graphs.skipped}


@router.post("/graphs/{name}/invoke")
async def invoke_graph(name: str, body: GraphRunRequest, request: Request) -> dict[str, Any]:
    """Run the graph to its end (or to a pause for approval) and answer with its output."""
    state = _state(request)
    served = state.graphs.get(name)
    thread_id = _thread(body.thread_id)
    outcome = await _run(state, served, served.coerce(body.input), thread_id, request)
    return outcome.body(served.spec.name)


@router.post("/graphs/{name}/stream")
async def stream_graph(name: str, body: GraphRunRequest, request: Request) -> StreamingResponse:
    """Server-sent events: `metadata`, then `node_start` / `node_end` (with the node's update)
    and `token` (LLM text as it is generated) as they happen, `interrupt` when the run
    pauses, and `end` with the output (or `error`)."""
    state = _state(request)
    served = state.graphs.get(name)
    thread_id = _thread(body.thread_id)
    run_input = served.coerce(body.input)
    return _event_stream(state, served, run_input, thread_id, request)


@router.get("/threads/{thread_id}/state")
async def thread_state(thread_id: str, request: Request) -> dict[str, Any]:
    """The thread's latest state: values, next nodes, pending interrupts, checkpoint."""
    return await asyncio.to_thread(_state(request).graphs.state, thread_id)


@router.get("/threads/{thread_id}/history")
async def thread_history(thread_id: str, request: Request,
                         limit: int = Query(10, ge=1, le=1000)) -> list[dict[str, Any]]:
    """The thread's checkpoints, newest first."""
    return await asyncio.to_thread(_state(request).graphs.history, thread_id, limit)


@router.post("/threads/{thread_id}/resume")
async def resume_thread(thread_id: str, decision: ToolDecision, request: Request) -> dict[str, Any]:
    """Continue a run paused before tool calls: approve them, edit their arguments or reject them."""
    state = _state(request)
    served = await asyncio.to_thread(state.graphs.pending, thread_id)
    outcome = await _run(state, served, Command(resume=decision.model_dump(exclude_none=True)), thread_id,
                         request)
    return outcome.body(served.spec.name)


def _thread(thread_id: str | None) -> str:
    try:
        check_thread_id(thread_id)
    except RunError as exc:
        raise ApiError(422, f"thread_id: {exc}", param="thread_id") from None
    return thread_id or uuid.uuid4().hex[:12]


async def _run(state: ServerState, served: ServedGraph, run_input: Any, thread_id: str, request: Request,
               emit: Any = None, stop: threading.Event | None = None) -> RunOutcome:
    """One run in the run pool, recorded in telemetry and charged to the caller's key;
    failures as HTTP errors. Past the request timeout: 504, and the run stops at its next
    event (node or token)."""
    request_id, key = request.state.request_id, caller(request)
    recorder = TelemetryCallback(state.telemetry, graph=served.spec.name, source="serve")
    started, status = time.perf_counter(), "error"
    loop, stop = asyncio.get_running_loop(), stop or threading.Event()
    timeout = state.config.limits.request_timeout
    try:
        running = loop.run_in_executor(state.runs, lambda: state.graphs.run(
            served, run_input, thread_id, request_id, [recorder], emit or _ignore, stop))
        try:
            outcome = await asyncio.wait_for(asyncio.shield(running), timeout)
        except TimeoutError:
            stop.set()
            status = "timeout"
            raise timed_out(timeout) from None
        status = "ok"
        return outcome
    except ContextLengthError as exc:
        status = "rejected"
        raise bad_request(exc, "input") from None
    except ApiError:
        status = "timeout" if status == "timeout" else "rejected"
        raise
    except AgentkitError as exc:  # a node failed: the server's problem, not the request's (500, error id)
        raise GraphFailed(f"graph {served.spec.name!r} failed: {exc}") from exc
    finally:
        totals = recorder.totals
        state.key_limits.spend(key, totals.input_tokens + totals.output_tokens)
        state.telemetry.record(CallRecord(
            kind="graph", graph=served.spec.name, source="serve", key=key.id if key else "",
            status=status,  # type: ignore[arg-type]
            input_tokens=totals.input_tokens, output_tokens=totals.output_tokens, cost=totals.cost,
            first_token_s=recorder.first_token_s(started), latency_s=time.perf_counter() - started,
            error_id=request_id if status == "error" else ""))


def _ignore(name: str, data: dict[str, Any]) -> None:
    """The events of a run nobody streams (the run still stops at its next one when told)."""


def _event_stream(state: ServerState, served: ServedGraph, run_input: Any, thread_id: str,
                  request: Request) -> StreamingResponse:
    request_id = request.state.request_id
    loop = asyncio.get_running_loop()
    events: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
    stop = threading.Event()

    def emit(name: str, data: dict[str, Any]) -> None:
        loop.call_soon_threadsafe(events.put_nowait, (name, data))

    async def run() -> None:
        try:
            outcome = await _run(state, served, run_input, thread_id, request, emit, stop)
            events.put_nowait(("end", outcome.body(served.spec.name)))
        except ApiError as exc:
            events.put_nowait(("error", {"message": exc.message, "status": exc.status, "code": exc.code}))
        except Exception as exc:  # the log and the spans have the trace under the request id
            body = json.loads(internal_error(request_id, exc).body)
            events.put_nowait(("error", {**body["error"], "status": 500}))

    async def stream() -> AsyncIterator[str]:
        task = asyncio.create_task(run())
        _RUNNING.add(task)
        task.add_done_callback(_RUNNING.discard)
        try:
            yield _sse("metadata", {"graph": served.spec.name, "thread_id": thread_id, "run_id": request_id})
            while True:
                name, data = await events.get()
                yield _sse(name, data)
                if name in ("end", "error"):
                    return
        finally:
            stop.set()  # a client that went away stops the run at its next event

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


def _sse(event: str, data: Any) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"

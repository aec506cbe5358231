"""Run a graph file: tracing, SQLite checkpoints per thread, streaming, the step limit."""

from __future__ import annotations

import sqlite3
import time
import uuid
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from langchain_core.messages import BaseMessage, HumanMessage
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.errors import GraphRecursionError
from langgraph.types import Command

from agentkit.engine.checkpoints import failed_during_run, open_checkpoints
from agentkit.engine.compiler import build_state_graph, compile_state_graph
from agentkit.engine.state import python_type
from agentkit.errors import RunError
from agentkit.spec.loader import load_spec
from agentkit.spec.models import GraphSpec
from agentkit.telemetry.callbacks import TelemetryCallback
from agentkit.telemetry.records import CallRecord
from agentkit.telemetry.sink import Telemetry
from agentkit.workspace import find_workspace, state_dir

EventHandler = Callable[[str, dict[str, Any]], None]
DEFAULT_STEP_LIMIT = 25  # LangGraph's default recursion limit
GRAPH_KEY = "graph"
GRAPH_FILE_KEY = "graph_file"
INTERRUPT = "__interrupt__"  # the update key LangGraph streams a pause under
"""Run metadata (kept in every checkpoint): which graph, and which file, made a thread."""


@dataclass(frozen=True)
class RunResult:
    """What a run produced: the answer, the final state, and how to find it again. A run
    that paused (`interrupts`, e.g. a tool call waiting for approval) continues with
    `resume_thread`."""

    graph: str
    answer: Any
    state: dict[str, Any]
    thread_id: str
    traced: bool
    interrupts: list[Any] = field(default_factory=list)


def run_graph(
    path: str | Path,
    text: str,
    *,
    thread_id: str | None = None,
    trace: bool = True,
    on_event: EventHandler | None = None,
    source: str = "run",
) -> RunResult:
    """Run a graph file once on `text`; the same `thread_id` continues a conversation.

    With `on_event`, node updates are streamed to it as they happen. The run's model calls
    and the run itself are recorded in the workspace's telemetry (`source` says by what)."""
    check_thread_id(thread_id)
    spec = load_spec(path)
    return _execute(spec, Path(path), lambda: {spec.input_channel: coerce_input(spec, text)},
                    thread_id or uuid.uuid4().hex[:12], trace, on_event, source)


def resume_thread(thread_id: str, decision: Any, *, trace: bool = True, on_event: EventHandler | None = None,
                  workspace: Path | None = None) -> RunResult:
    """Continue the paused run of `thread_id` with `decision` (the value its interrupt
    returns), in this process or any later one: the graph file is found from the thread's
    last checkpoint."""
    check_thread_id(thread_id)
    workspace = workspace or find_workspace()
    path = thread_graph_file(workspace, thread_id)
    spec = load_spec(path)
    return _execute(spec, path, lambda: Command(resume=decision), thread_id, trace, on_event, "resume")


def thread_graph_file(workspace: Path, thread_id: str) -> Path:
    """The graph file whose run made `thread_id` (RunError if no run did)."""
    database = state_dir(workspace) / "checkpoints.sqlite"
    if not database.exists():
        raise RunError(f"there is no thread {thread_id!r}: this workspace ({workspace}) has no checkpoints yet")
    with closing(open_checkpoints(database)) as connection:
        found = SqliteSaver(connection).get_tuple({"configurable": {"thread_id": thread_id}})
    if found is None:
        raise RunError(f"there is no thread {thread_id!r} in {database}; check the id `agentkit run` printed")
    graph_file = (found.metadata or {}).get(GRAPH_FILE_KEY)
    if not graph_file or not Path(graph_file).is_file():
        raise RunError(f"thread {thread_id!r} was made by a graph whose file is not known or gone "
                       f"({graph_file or 'not recorded'}); continue it with `agentkit run FILE --thread {thread_id}`")
    return Path(graph_file)


def _execute(spec: GraphSpec, path: Path, make_input: Callable[[], Any], thread_id: str, trace: bool,
             on_event: EventHandler | None, source: str) -> RunResult:
    workspace = find_workspace(spec.base_dir)
    traced = False
    if trace:
        from agentkit.observability.tracing import enable_tracing

        traced = enable_tracing(spec.name)
    built = build_state_graph(spec, workspace=workspace)  # a graph that does not build creates no database
    run_input = make_input()
    telemetry = Telemetry(workspace)
    recorder = TelemetryCallback(telemetry, graph=spec.name, source=source)
    config = {"configurable": {"thread_id": thread_id}, "callbacks": [recorder],
              "metadata": {GRAPH_KEY: spec.name, GRAPH_FILE_KEY: str(path.resolve())}}
    database = state_dir(workspace) / "checkpoints.sqlite"
    started, status = time.perf_counter(), "error"
    try:
        with closing(open_checkpoints(database)) as connection:
            graph = compile_state_graph(built, spec, checkpointer=SqliteSaver(connection))
            try:
                if on_event is None:
                    graph.invoke(run_input, config)
                else:
                    for update in graph.stream(run_input, config, stream_mode="updates"):
                        for node, values in update.items():
                            if node != INTERRUPT:
                                on_event(node, values or {})
                snapshot = graph.get_state(config)
            except GraphRecursionError:
                raise RunError(_limit_message(spec)) from None
            except sqlite3.DatabaseError as exc:  # nodes' own errors arrive wrapped as RunError
                raise failed_during_run(database, exc) from None
        status = "ok"
    finally:
        totals = recorder.totals
        telemetry.record(CallRecord(kind="graph", graph=spec.name, source=source, status=status,
                                    input_tokens=totals.input_tokens, output_tokens=totals.output_tokens,
                                    cost=totals.cost, first_token_s=recorder.first_token_s(started),
                                    latency_s=time.perf_counter() - started))
        telemetry.close()
    interrupts = [item.value for item in snapshot.interrupts]
    state = snapshot.values
    return RunResult(spec.name, answer_of(spec, state), state, thread_id, traced, interrupts)


def check_thread_id(thread_id: str | None) -> None:
    """RunError for a thread id that is empty or has spaces around it (None: a new thread)."""
    if thread_id is None:
        return
    if not thread_id.strip():
        raise RunError(
            f"thread id {thread_id!r} is empty; give a name (e.g. --thread ana) to continue "
            "that conversation, or leave --thread out to start a new one"
        )
    if thread_id != thread_id.strip():
        raise RunError(
            f"thread id {thread_id!r} has spaces around it, so it would be another thread than "
            f"{thread_id.strip()!r}; write it without them"
        )


def coerce_input(spec: GraphSpec, text: str) -> Any:
    """The input text as a value of the input channel's type."""
    channel = spec.state[spec.input_channel]
    if channel.type == "messages":
        return [HumanMessage(text)]
    target = python_type(channel.type)
    if target in (int, float):
        try:
            return target(text)
        except ValueError:
            raise RunError(f"input channel {spec.input_channel!r} is {channel.type}; got {text!r}") from None
    return text


def answer_of(spec: GraphSpec, state: dict[str, Any]) -> Any:
    """The output channel's value; for a conversation, the last message's text."""
    value = state.get(spec.output_channel)
    if isinstance(value, list) and value and isinstance(value[-1], BaseMessage):
        return value[-1].text
    return value


def _limit_message(spec: GraphSpec) -> str:
    limit = spec.limits.max_steps or DEFAULT_STEP_LIMIT
    where = spec._source.file if spec._source and spec._source.file else f"graph {spec.name!r}"
    return (
        f"graph {spec.name!r} stopped after {limit} steps without reaching END. "
        f"A loop kept going: raise `limits: {{max_steps: N}}` in {where} if the work needs more "
        f"steps, or check the loop's exit route."
    )

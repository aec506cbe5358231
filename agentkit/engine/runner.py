"""Run a graph file: tracing, SQLite checkpoints per thread, streaming, the step limit."""

from __future__ import annotations

import sqlite3
import uuid
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from langchain_core.messages import BaseMessage, HumanMessage
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.errors import GraphRecursionError

from agentkit.engine.checkpoints import failed_during_run, open_checkpoints
from agentkit.engine.compiler import build_state_graph, compile_state_graph
from agentkit.engine.state import python_type
from agentkit.errors import RunError
from agentkit.spec.loader import load_spec
from agentkit.spec.models import GraphSpec
from agentkit.workspace import find_workspace, state_dir

EventHandler = Callable[[str, dict[str, Any]], None]
DEFAULT_STEP_LIMIT = 25  # LangGraph's default recursion limit


@dataclass(frozen=True)
class RunResult:
    """What a run produced: the answer, the final state, and how to find it again."""

    graph: str
    answer: Any
    state: dict[str, Any]
    thread_id: str
    traced: bool


def run_graph(
    path: str | Path,
    text: str,
    *,
    thread_id: str | None = None,
    trace: bool = True,
    on_event: EventHandler | None = None,
) -> RunResult:
    """Run a graph file once on `text`; the same `thread_id` continues a conversation.

    With `on_event`, node updates are streamed to it as they happen."""
    check_thread_id(thread_id)
    spec = load_spec(path)
    workspace = find_workspace(spec.base_dir)
    traced = False
    if trace:
        from agentkit.observability.tracing import enable_tracing

        traced = enable_tracing(spec.name)
    thread_id = thread_id or uuid.uuid4().hex[:12]
    config = {"configurable": {"thread_id": thread_id}}
    built = build_state_graph(spec, workspace=workspace)  # a graph that does not build creates no database
    database = state_dir(workspace) / "checkpoints.sqlite"
    with closing(open_checkpoints(database)) as connection:
        graph = compile_state_graph(built, spec, checkpointer=SqliteSaver(connection))
        run_input = {spec.input_channel: coerce_input(spec, text)}
        try:
            if on_event is None:
                state = graph.invoke(run_input, config)
            else:
                for update in graph.stream(run_input, config, stream_mode="updates"):
                    for node, values in update.items():
                        on_event(node, values or {})
                state = graph.get_state(config).values
        except GraphRecursionError:
            raise RunError(_limit_message(spec)) from None
        except sqlite3.DatabaseError as exc:  # nodes' own errors arrive wrapped as RunError
            raise failed_during_run(database, exc) from None
    return RunResult(spec.name, answer_of(spec, state), state, thread_id, traced)


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

"""The graphs a server serves: every graph file of a folder that validates (the others are
reported with their file:line errors and skipped), compiled against the workspace's
checkpoint database, so a thread outlives the server process and `agentkit run` and the
server continue each other's threads."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from langchain_core.messages import HumanMessage, convert_to_messages
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.errors import GraphRecursionError
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import StateSnapshot

from agentkit.engine.checkpoints import open_checkpoints
from agentkit.engine.compiler import build_state_graph, compile_state_graph
from agentkit.engine.runner import GRAPH_FILE_KEY, GRAPH_KEY, INTERRUPT, answer_of, coerce_input
from agentkit.engine.schema import input_json_schema
from agentkit.errors import AgentkitError, RunError
from agentkit.server.errors import ApiError, not_found
from agentkit.server.serialize import jsonable
from agentkit.spec.loader import load_spec
from agentkit.spec.models import GraphSpec
from agentkit.workspace import state_dir

Emit = Callable[[str, dict[str, Any]], None]


@dataclass
class ServedGraph:
    spec: GraphSpec
    path: Path
    graph: CompiledStateGraph

    def describe(self) -> dict[str, Any]:
        """`GET /graphs` entry: name, channels and the JSON Schema of the input."""
        return {"name": self.spec.name, "description": self.spec.description, "file": self.path.name,
                "input": self.spec.input_channel, "output": self.spec.output_channel,
                "input_schema": input_json_schema(self.spec)}

    def coerce(self, value: Any) -> dict[str, Any]:
        """A run's input as channel values (422 naming what is wrong)."""
        spec = self.spec
        values = value if isinstance(value, dict) else {spec.input_channel: value}
        unknown = sorted(set(values) - set(spec.state))
        if unknown:
            what = "is not a channel" if len(unknown) == 1 else "are not channels"
            raise ApiError(422, f"input: {', '.join(unknown)} {what} of graph {spec.name!r} (channels: "
                                f"{', '.join(spec.state)})", param="input")
        return {name: self._channel_value(name, item) for name, item in values.items()}

    def _channel_value(self, name: str, value: Any) -> Any:
        kind = self.spec.state[name].type
        try:
            if kind == "messages":
                return [HumanMessage(value)] if isinstance(value, str) else convert_to_messages(value)
            if isinstance(value, str) and name == self.spec.input_channel:
                return coerce_input(self.spec, value)
        except (RunError, ValueError, TypeError, KeyError) as exc:
            raise ApiError(422, f"input.{name}: {exc}", param=f"input.{name}") from None
        return value


@dataclass
class RunOutcome:
    thread_id: str
    output: Any
    values: dict[str, Any]
    interrupts: list[Any] = field(default_factory=list)

    def body(self, graph: str) -> dict[str, Any]:
        return {"graph": graph, "thread_id": self.thread_id, "status": "interrupted" if self.interrupts else "done",
                "output": jsonable(self.output), "values": jsonable(self.values), "interrupts": self.interrupts}


class ServedGraphs:
    """Graphs by name, their shared checkpointer, and which threads are running now."""

    def __init__(self, folder: Path, workspace: Path) -> None:
        self.folder, self.workspace = folder, workspace
        self.connection = open_checkpoints(state_dir(workspace) / "checkpoints.sqlite")
        self.saver = SqliteSaver(self.connection)
        self.graphs: dict[str, ServedGraph] = {}
        self.skipped: dict[str, str] = {}  # file -> what is wrong with it
        self._running: set[str] = set()
        self._lock = threading.Lock()
        for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
            self._add(path)

    def _add(self, path: Path) -> None:
        try:
            spec = load_spec(path)
            built = build_state_graph(spec, workspace=self.workspace)
        except AgentkitError as exc:
            self.skipped[path.name] = str(exc)
            return
        if spec.name in self.graphs:
            served_from = self.graphs[spec.name].path.name
            self.skipped[path.name] = f"graph name {spec.name!r} is already served from {served_from}"
            return
        self.graphs[spec.name] = ServedGraph(spec, path, compile_state_graph(built, spec, checkpointer=self.saver))

    def close(self) -> None:
        self.connection.close()

    def get(self, name: str) -> ServedGraph:
        if name not in self.graphs:
            raise not_found("graph", name, sorted(self.graphs))
        return self.graphs[name]

    def of_thread(self, thread_id: str) -> ServedGraph:
        """The graph whose runs made `thread_id` (404 for a thread no run made)."""
        found = self.saver.get_tuple(_config(thread_id))
        if found is None:
            raise ApiError(404, f"unknown thread {thread_id!r}: no run has used it; start one with "
                                f"POST /graphs/{{name}}/invoke", param="thread_id", code="thread_not_found")
        name = (found.metadata or {}).get(GRAPH_KEY)
        if name not in self.graphs:
            raise ApiError(404, f"thread {thread_id!r} belongs to graph {name!r}, which this server does not serve "
                                f"(serving: {', '.join(sorted(self.graphs)) or 'none'})", param="thread_id",
                           code="graph_not_found")
        return self.graphs[name]

    def state(self, thread_id: str) -> dict[str, Any]:
        served = self.of_thread(thread_id)
        return _snapshot(served.graph.get_state(_config(thread_id)))

    def history(self, thread_id: str, limit: int) -> list[dict[str, Any]]:
        served = self.of_thread(thread_id)
        return [_snapshot(s) for s in served.graph.get_state_history(_config(thread_id), limit=limit)]

    def run(self, served: ServedGraph, run_input: Any, thread_id: str, request_id: str,
            callbacks: list[Any], emit: Emit | None = None, stop: threading.Event | None = None) -> RunOutcome:
        """Run (or, with a `Command`, resume) `served` on `thread_id` in this thread; with `emit`,
        node starts and ends and LLM tokens are sent to it as they happen."""
        config = {**_config(thread_id), "callbacks": callbacks,
                  "metadata": {GRAPH_KEY: served.spec.name, GRAPH_FILE_KEY: str(served.path.resolve()),
                               "request_id": request_id}}
        with self._claim(thread_id):
            try:
                if emit is None:
                    served.graph.invoke(run_input, config)
                else:
                    _stream(served, run_input, config, emit, stop or threading.Event())
            except GraphRecursionError:
                raise RunError(f"graph {served.spec.name!r} stopped at its step limit without reaching END") from None
            snapshot = served.graph.get_state(_config(thread_id))
        return RunOutcome(thread_id, answer_of(served.spec, snapshot.values), snapshot.values,
                          [jsonable(i) for i in snapshot.interrupts])

    def pending(self, thread_id: str) -> ServedGraph:
        """The graph of a thread that is paused at an interrupt (409 if it is not)."""
        served = self.of_thread(thread_id)
        if not served.graph.get_state(_config(thread_id)).interrupts:
            raise ApiError(409, f"thread {thread_id!r} is not waiting for a decision; only a paused run "
                                f"(status interrupted) can be resumed", param="thread_id", code="not_interrupted")
        return served

    @contextmanager
    def _claim(self, thread_id: str) -> Iterator[None]:
        with self._lock:
            if thread_id in self._running:
                raise ApiError(409, f"thread {thread_id!r} is running another request; wait for it to finish",
                               param="thread_id", code="thread_busy")
            self._running.add(thread_id)
        try:
            yield
        finally:
            with self._lock:
                self._running.discard(thread_id)


def _config(thread_id: str) -> dict[str, Any]:
    return {"configurable": {"thread_id": thread_id}}


def _stream(served: ServedGraph, run_input: Any, config: dict[str, Any], emit: Emit, stop: threading.Event) -> None:
    nodes = set(served.spec.nodes)
    started: dict[str, float] = {}
    for mode, payload in served.graph.stream(run_input, config, stream_mode=["tasks", "messages", "updates"]):
        if stop.is_set():
            return
        if mode == "tasks" and payload.get("name") in nodes:
            if "result" in payload or "error" in payload:
                took = time.perf_counter() - started.pop(payload["id"], time.perf_counter())
                emit("node_end", {"node": payload["name"], "id": payload["id"], "update": jsonable(payload.get("result")),
                                  "error": jsonable(payload.get("error")), "seconds": round(took, 4)})
            else:
                started[payload["id"]] = time.perf_counter()
                emit("node_start", {"node": payload["name"], "id": payload["id"]})
        elif mode == "messages":
            chunk, metadata = payload
            if chunk.content:
                emit("token", {"node": metadata.get("langgraph_node"), "content": chunk.content})
        elif mode == "updates" and INTERRUPT in payload:
            emit("interrupt", {"interrupts": jsonable(list(payload[INTERRUPT]))})


def _snapshot(snapshot: StateSnapshot) -> dict[str, Any]:
    """A state snapshot in the shape of LangGraph Server's thread state."""
    configurable = snapshot.config.get("configurable", {})
    parent = (snapshot.parent_config or {}).get("configurable", {})
    return {
        "values": jsonable(snapshot.values),
        "next": list(snapshot.next),
        "tasks": [{"id": t.id, "name": t.name, "interrupts": jsonable(list(t.interrupts)),
                   "error": jsonable(t.error)} for t in snapshot.tasks],
        "interrupts": jsonable(list(snapshot.interrupts)),
        "checkpoint": {"thread_id": configurable.get("thread_id"), "checkpoint_id": configurable.get("checkpoint_id")},
        "parent_checkpoint": {"checkpoint_id": parent.get("checkpoint_id")} if parent else None,
        "metadata": jsonable(snapshot.metadata),
        "created_at": snapshot.created_at,
    }


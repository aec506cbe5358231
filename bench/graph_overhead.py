"""Overhead of a YAML graph over the same graph hand-written in LangGraph.

Five nodes doing trivial work (add one to a counter), invoked many times each way in
the same process; prints per-invoke time, the ratio (goal <= 1.05) and compile times."""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, TypedDict

from pydantic import BaseModel, ConfigDict
from rich.console import Console
from rich.table import Table

from agentkit import load_graph, node_kind
from agentkit.engine.refs import Channel

NODES = ["a", "b", "c", "d", "e"]
INVOKES = 1000
ROUNDS = 8
YAML = "name: overhead\ninput: count\noutput: count\nstate: {count: int}\nnodes:\n" + "".join(
    f"  {n}: {{kind: increment, channel: count}}\n" for n in NODES
) + "edges:\n" + "".join(f"  - [{s}, {t}]\n" for s, t in zip(["START", *NODES], [*NODES, "END"]))


class IncrementParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    channel: Channel


@node_kind("increment")
def increment(params: IncrementParams, ctx: Any) -> Callable[..., dict[str, int]]:
    """Add one to an int channel (benchmark node)."""
    return lambda state, config: {params.channel: state[params.channel] + 1}


class State(TypedDict):
    count: int


def hand_written() -> Any:
    from langgraph.graph import END, START, StateGraph

    graph = StateGraph(State)
    for name in NODES:
        graph.add_node(name, lambda state: {"count": state["count"] + 1})
    for source, target in zip([START, *NODES], [*NODES, END]):
        graph.add_edge(source, target)
    return graph.compile()


def per_invoke(*graphs: Any) -> list[float]:
    """For each graph, the median over rounds of mean seconds per invoke; rounds
    alternate between the graphs so drift of the machine hits both alike."""
    rounds: list[list[float]] = [[] for _ in graphs]
    for graph in graphs:
        assert graph.invoke({"count": 0})["count"] == len(NODES)
    for _ in range(ROUNDS):
        for times, graph in zip(rounds, graphs):
            start = time.perf_counter()
            for _ in range(INVOKES):
                graph.invoke({"count": 0})
            times.append((time.perf_counter() - start) / INVOKES)
    return [statistics.median(times) for times in rounds]


def timed(build: Callable[[], Any], repeat: int = 20) -> tuple[Any, float]:
    times, built = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        built = build()
        times.append(time.perf_counter() - start)
    return built, statistics.median(times)


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "overhead.yaml"
        path.write_text(YAML)
        plain, plain_compile = timed(hand_written)
        loaded, yaml_compile = timed(lambda: load_graph(path, workspace=Path(folder)))
    plain_time, yaml_time = per_invoke(plain, loaded)
    table = Table(title=f"5-node graph, trivial nodes, {INVOKES} invokes x {ROUNDS} rounds (median)")
    for column in ("graph", "per invoke (µs)", "compile (ms)"):
        table.add_column(column, justify="right")
    table.add_row("hand-written LangGraph", f"{plain_time * 1e6:.1f}", f"{plain_compile * 1e3:.2f}")
    table.add_row("agentkit YAML", f"{yaml_time * 1e6:.1f}", f"{yaml_compile * 1e3:.2f}")
    Console().print(table)
    print(f"per-invoke ratio yaml/hand-written: {yaml_time / plain_time:.3f} (goal <= 1.05)")


if __name__ == "__main__":
    main()

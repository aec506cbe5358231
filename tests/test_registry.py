"""The registry: decorators mark definitions, a `Registry` collects them (built-ins and other
packages through entry points, the workspace's tools/, `collect`), and the engine uses the
registry it is given."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict

import agentkit.nodes
from agentkit import (Channel, ConfigError, GraphBuilder, NodeContext, NodeFunction, Registry, compile_graph,
                      load_spec, make_node, node_kind, registry, resource_kind, validate_spec)
from agentkit.engine.registry import definitions_in
from agentkit.engine.resources import ResourcePool
from agentkit.engine.schema import graph_json_schema
from agentkit.spec.models import ResourceSpec

REPO = Path(__file__).resolve().parents[1]
PLUGIN_NODES = '''
from pydantic import BaseModel, ConfigDict
from agentkit import Channel, NodeContext, NodeFunction, node_kind

class ReverseParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    input: Channel
    output: Channel

@node_kind("reverse")
def reverse(params: ReverseParams, ctx: NodeContext) -> NodeFunction:
    """Reverse the text of a channel."""
    return lambda state, config: {params.output: state[params.input][::-1]}
'''
PLUGIN_TOOLS = '''
from langchain_core.tools import tool

@tool
def wordcount(text: str) -> int:
    """Count the words of a text."""
    return len(text.split())
'''
GRAPH = """\
name: plugged
input: text
output: result
state: {text: str, reversed: str, result: int}
nodes:
  flip: {kind: reverse, input: text, output: reversed}
  count: {kind: tool, tool: wordcount, from_state: {text: reversed}, output: result}
edges: [[START, flip], [flip, count], [count, END]]
"""


class ShoutParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    input: Channel
    output: Channel


@node_kind("shout")
def shout(params: ShoutParams, ctx: NodeContext) -> NodeFunction:
    """Upper-case the text of a channel."""
    return lambda state, config: {params.output: state[params.input].upper()}


class CounterParams(BaseModel):
    start: int = 0


@resource_kind("counter")
def counter_a(params: CounterParams) -> list[int]:
    """A counter."""
    return [params.start]


@resource_kind("counter")
def counter_b(params: CounterParams) -> list[int]:
    """Another counter under the same name."""
    return [params.start]


def empty() -> Registry:
    return Registry(builtins=False, plugins=False)


@pytest.fixture
def plugin(tmp_path: Path) -> Path:
    """An installed-looking distribution declaring both entry point groups."""
    site = tmp_path / "site"
    info = site / "agentkit_plugin-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: agentkit-plugin\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(
        "[agentkit.nodes]\nplugin = plugin_nodes\n\n[agentkit.tools]\nwordcount = plugin_tools:wordcount\n")
    (site / "plugin_nodes.py").write_text(PLUGIN_NODES)
    (site / "plugin_tools.py").write_text(PLUGIN_TOOLS)
    return site


def _python(site: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(site), "AGENTKIT_WORKSPACE": str(cwd), "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=120)


# -- collecting -----------------------------------------------------------------------
def test_a_fresh_registry_holds_the_builtins_without_importing_them_eagerly(workspace: Path) -> None:
    script = ("import sys, agentkit; r = agentkit.Registry(); before = 'agentkit.nodes' in sys.modules; "
              "print(before, sorted(r.node_kinds()), 'agentkit.nodes' in sys.modules)")
    run = _python(workspace, workspace, "-c", script)
    assert run.returncode == 0, run.stderr
    builtins = empty().collect(agentkit.nodes)
    assert run.stdout.split() == ["False", *str(sorted(builtins.node_kinds())).split(), "True"]
    assert {"llm", "route", "tool", "subgraph", "tool_agent"} <= set(builtins.node_kinds())
    fresh = Registry()
    assert fresh.node_kinds().keys() == builtins.node_kinds().keys()
    assert fresh.resource_kinds().keys() == builtins.resource_kinds().keys() == {"chat_model", "embeddings", "store"}
    assert empty().node_kinds() == {} and empty().resource_kinds() == {} and empty().tools() == {}
    assert Registry(plugins=False).node_kinds().keys() == builtins.node_kinds().keys()


def test_the_engine_imports_nothing_from_the_node_modules() -> None:
    offenders = []
    for file in sorted((REPO / "agentkit" / "engine").glob("*.py")):
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            offenders += [f"{file.name}:{node.lineno}" for n in names if n.split(".")[:2] == ["agentkit", "nodes"]]
    assert offenders == []


def test_decorators_mark_and_return_the_factory_unchanged() -> None:
    params = ShoutParams(input="a", output="b")
    assert shout(params, None)({"a": "hey"}, {}) == {"b": "HEY"}
    (kind,) = definitions_in(shout)
    assert (kind.name, kind.params_model, kind.build, kind.description) == (
        "shout", ShoutParams, shout, "Upper-case the text of a channel.")
    assert "shout" not in registry.node_kinds()  # marking registers nothing
    assert list(empty().collect(shout).node_kinds()) == ["shout"]


def test_marking_needs_a_params_model_and_collecting_needs_definitions() -> None:
    with pytest.raises(TypeError, match="must take a pydantic params model"):
        node_kind("bad")(lambda params, ctx: None)
    with pytest.raises(TypeError, match="holds no node kind, resource kind or tool"):
        empty().collect(len)
    with pytest.raises(TypeError, match="holds no node kind, resource kind or tool"):
        empty().collect(textwrap)


def test_a_name_defined_twice_names_both_definitions() -> None:
    with pytest.raises(ConfigError, match=r"resource kind 'counter' is registered twice "
                       r"\(test_registry.counter_a and test_registry.counter_b\)"):
        empty().collect(counter_a, counter_b)

    @node_kind("llm")
    def my_llm(params: ShoutParams, ctx: NodeContext) -> NodeFunction:
        """Shadows the built-in."""
        raise AssertionError("never built")

    with pytest.raises(ConfigError, match=r"node kind 'llm' is registered twice \(agentkit.nodes.llm.llm_node and "):
        Registry().collect(my_llm)
    assert empty().collect(shout, shout).node_kinds()["shout"].build is shout  # the same one twice is fine


# -- injection ------------------------------------------------------------------------
def test_the_injected_registry_is_the_one_used(write_graph: Any) -> None:
    inner = write_graph("""\
        name: inner
        input: text
        output: loud
        state: {text: str, loud: str}
        nodes:
          up: {kind: shout, input: text, output: loud}
        edges: [[START, up], [up, END]]
        """, "inner.yaml")
    outer = load_spec(write_graph("""\
        name: outer
        input: question
        output: answer
        state: {question: str, answer: str}
        nodes:
          call: {kind: subgraph, graph: inner.yaml, inputs: {text: question}, outputs: {answer: loud}}
        edges: [[START, call], [call, END]]
        """, "outer.yaml"))
    with_shout = Registry().collect(shout)
    assert validate_spec(load_spec(inner), registry=with_shout) == []
    assert validate_spec(outer, registry=with_shout) == []  # the subgraph node passes it on
    assert compile_graph(outer, registry=with_shout).invoke({"question": "quiet"})["answer"] == "QUIET"
    (unknown,) = validate_spec(load_spec(inner))
    assert "unknown node kind 'shout'" in str(unknown)
    assert any("subgraph inner.yaml is not valid" in str(p) for p in validate_spec(outer))
    (no_builtins,) = validate_spec(outer, registry=empty().collect(shout))
    assert "unknown node kind 'subgraph'" in str(no_builtins)

    assert make_node("shout", registry=with_shout, input="a", output="b")({"a": "x"}, {}) == {"b": "X"}
    with pytest.raises(ConfigError, match="unknown node kind 'shout'"):
        make_node("shout", input="a", output="b")
    built = (GraphBuilder("b", input="a", output="b").channel("a", "str").channel("b", "str")
             .node("up", "shout", input="a", output="b").edge("START", "up").edge("up", "END"))
    assert built.compile(registry=with_shout).invoke({"a": "y"})["b"] == "Y"
    assert "shout" in str(graph_json_schema(with_shout)) and "shout" not in str(graph_json_schema())


def test_resources_of_one_name_from_two_registries_are_not_shared() -> None:
    declared = {"n": ResourceSpec(kind="counter", params={"start": 3})}
    first = ResourcePool(declared, empty().collect(counter_a)).get("n")
    second = ResourcePool(declared, empty().collect(counter_b)).get("n")
    assert first == second == [3] and first is not second
    assert ResourcePool(declared, empty().collect(counter_a)).get("n") is first


# -- entry points and the workspace ---------------------------------------------------
def test_entry_points_add_node_kinds_and_tools(plugin: Path, workspace: Path) -> None:
    listing = _python(plugin, workspace, "-m", "agentkit", "nodes")
    assert listing.returncode == 0, listing.stderr
    assert "reverse" in listing.stdout and "wordcount" in listing.stdout
    (workspace / "plugged.yaml").write_text(GRAPH)
    run = _python(plugin, workspace, "-m", "agentkit", "run", "plugged.yaml", "-i", "one two three", "--no-trace")
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines()[0] == "3"
    script = ("from agentkit import Registry; print(sorted(Registry(plugins=False).node_kinds()) == "
              "sorted(Registry(builtins=False, plugins=False).collect(__import__('agentkit.nodes').nodes).node_kinds()), "
              "sorted(Registry(builtins=False).node_kinds()), sorted(Registry(builtins=False).tools()))")
    split = _python(plugin, workspace, "-c", script)
    assert split.returncode == 0, split.stderr
    assert split.stdout.strip() == "True ['reverse'] ['wordcount']"


def test_workspace_tools_are_found_by_name(workspace: Path) -> None:
    (workspace / "tools").mkdir()
    (workspace / "tools" / "counting.py").write_text(PLUGIN_TOOLS)
    assert "wordcount" in Registry().tools(workspace)
    assert "wordcount" not in Registry().tools(None)
    assert list(empty().tools(workspace)) == ["wordcount"]


def test_validating_a_graph_loads_no_model_code(workspace: Path) -> None:
    script = ("import sys; from agentkit import load_spec, validate_spec; "
              f"assert validate_spec(load_spec({str(REPO / 'graphs' / 'self_rag.yaml')!r})) == []; "
              "print(sorted(m for m in ('torch', 'transformers', 'peft', 'trl') if m in sys.modules))")
    run = _python(workspace, workspace, "-c", script)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["[]"]

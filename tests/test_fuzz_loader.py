"""Fuzzing: no input may crash loading or validation with anything but a clear error, and
no YAML may make the loader run away in time or memory."""

from __future__ import annotations

import resource
import signal
import tempfile
import time
import tracemalloc
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import psutil
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from agentkit.engine.validate import validate_spec
from agentkit.errors import GraphSpecError
from agentkit.spec import GraphSpec, dump_yaml, load_spec
from agentkit.spec.loader import parse_yaml, spec_from_data

KEYS = ["name", "version", "state", "nodes", "edges", "resources", "limits", "kind", "from", "to",
        "routes", "default", "type", "reducer", "max_steps", "input", "output", "llm", "prompt",
        "by", "routes", "tool", "graph", "START", "END", "a", "b"]
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.sampled_from(KEYS + ["str", "messages", "list[str]"]))
DATA = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(KEYS), inner, max_size=5)),
    max_leaves=25,
)
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _load_and_validate(data: Any) -> None:
    try:
        spec = spec_from_data(data)
    except GraphSpecError as exc:
        assert exc.problems and all(p.message for p in exc.problems)
        return
    for problem in validate_spec(spec):
        assert problem.message


@FUZZ
@given(st.text(max_size=300))
def test_any_text_gives_a_spec_or_a_clear_error(text: str) -> None:
    try:
        data, _ = parse_yaml(text, "fuzz.yaml")
    except GraphSpecError as exc:
        assert exc.problems[0].file == "fuzz.yaml"
        return
    _load_and_validate(data)


@FUZZ
@given(st.dictionaries(st.sampled_from(KEYS), DATA, max_size=8))
def test_any_structure_gives_a_spec_or_a_clear_error(data: dict[str, Any]) -> None:
    _load_and_validate(data)


NAMES = st.from_regex(r"[a-z][a-z0-9_]{0,6}", fullmatch=True).filter(lambda n: n not in ("START", "END"))
TEXT = st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), max_size=20)
PARAM = st.one_of(TEXT, st.integers(), st.floats(allow_nan=False, allow_infinity=False), st.booleans(),
                  st.lists(TEXT, max_size=3))


@st.composite
def specs(draw: st.DrawFn) -> GraphSpec:
    nodes = draw(st.lists(NAMES, min_size=1, max_size=4, unique=True))
    state = draw(st.dictionaries(NAMES, st.sampled_from(["str", "int", "messages", "list[str]", "any"]), min_size=1, max_size=3))
    edges: list[Any] = [["START", nodes[0]]]
    for source, target in zip(nodes, nodes[1:] + ["END"]):
        if draw(st.booleans()):
            edges.append([source, target])
        else:
            edges.append({"from": source, "routes": {draw(NAMES): target}, **({"default": "END"} if draw(st.booleans()) else {})})
    return GraphSpec.model_validate({
        "name": draw(NAMES),
        "version": draw(st.one_of(st.integers(0, 99), NAMES)),
        "description": draw(st.one_of(st.none(), TEXT)),
        "state": {k: ({"type": v, "default": draw(PARAM)} if draw(st.booleans()) else v) for k, v in state.items()},
        "resources": {"llm": {"kind": "chat_model", "max_tokens": draw(st.integers(1, 500))}},
        "nodes": {n: {"kind": draw(st.sampled_from(["llm", "route", "tool"])), **draw(st.dictionaries(NAMES, PARAM, max_size=3))} for n in nodes},
        "edges": edges,
        "limits": {"max_steps": draw(st.one_of(st.none(), st.integers(1, 50)))},
    })


@FUZZ
@given(specs())
def test_round_trip_spec_yaml_spec_is_exact(spec: GraphSpec) -> None:
    assert spec_from_data(parse_yaml(dump_yaml(spec))[0]) == spec


# Random YAML documents (anchors, aliases, merge keys, alias bombs, deep nesting, values
# YAML cannot build, random structure) fed to the graph loader: each one ends, within a
# time and memory bound, in a valid spec or a GraphSpecError naming the file and a line.
DEADLINE_S = 10.0
PEAK_MIB = 64
ODD_SCALARS = ["~", "true", "-7", "0o17", "0x1F", "1e999", ".nan", "2001-01-01", "2024-13-45", "'quoted'",
               '"a\\tb"', '"\\x07"', "!!binary Zm9v", "!!binary %%", "!!int x", "!foo bar", "9" * 4400,
               "str", "messages", "START", "END", "café", "<<", "*", "&", "[", "}", ": x", "- x", "''"]
SCALAR_TEXT = st.one_of(st.sampled_from(ODD_SCALARS + KEYS), st.text(st.characters(min_codepoint=32, max_codepoint=0x17F), max_size=6))


@st.composite
def yaml_documents(draw: st.DrawFn) -> str:
    """A graph-shaped or random YAML text; anchors are defined before (and sometimes inside)
    the values that alias them."""
    anchors: list[str] = []

    def anchor() -> str:
        anchors.append(f"a{len(anchors)}")
        return f"&{anchors[-1]} "

    def alias() -> str:
        return "*" + (draw(st.sampled_from(anchors)) if anchors and draw(st.integers(0, 9)) else "undefined")

    def value(depth: int) -> str:
        kind = draw(st.sampled_from(["scalar", "alias", "list", "map", "tower", "bomb"] if depth < 3 else ["scalar", "alias"]))
        if kind == "scalar":
            return draw(SCALAR_TEXT)
        if kind == "alias":
            return alias()
        if kind == "tower":
            levels, (start, end) = draw(st.integers(1, 120)), draw(st.sampled_from([("[", "]"), ("{k: ", "}")]))
            return start * levels + value(3) + end * levels
        if kind == "bomb":
            levels, fan_out, items = draw(st.integers(1, 10)), draw(st.integers(1, 10)), []
            for level in range(levels):
                previous = value(3) if level == 0 else "*" + anchors[-1]
                items.append(anchor() + "[" + ", ".join([previous] * fan_out) + "]")
            return "[" + ", ".join(items) + "]"
        tag = anchor() if draw(st.booleans()) else ""
        size = draw(st.integers(0, 4))
        if kind == "list":
            return tag + "[" + ", ".join(value(depth + 1) for _ in range(size)) + "]"
        pairs = [f"{draw(st.sampled_from(KEYS) | st.just(alias()) | SCALAR_TEXT)}: {value(depth + 1)}" for _ in range(size)]
        if anchors and draw(st.booleans()):
            pairs.append(f"<<: {alias() if draw(st.booleans()) else '[' + alias() + ', ' + alias() + ']'}")
        return tag + "{" + ", ".join(pairs) + "}"

    if draw(st.booleans()):  # random structure under the top-level keys, block style
        lines = [f"{draw(st.sampled_from(KEYS))}: {value(0)}" for _ in range(draw(st.integers(1, 6)))]
        if draw(st.booleans()):
            lines.append(f"{draw(st.sampled_from(KEYS))}:\n" + "- " * draw(st.integers(1, 120)) + draw(SCALAR_TEXT))
        return "\n".join(lines) + "\n"
    # a graph sharing its node settings through an anchor and merge keys, plus random extras
    names = draw(st.lists(NAMES, min_size=1, max_size=4, unique=True))
    nodes = [f"  {names[0]}: {anchor()}{{kind: llm, llm: llm, output: a}}"]
    nodes += [f"  {n}: " + draw(st.sampled_from([f"{{<<: *{anchors[0]}, template: '{{q}}'}}", f"*{anchors[0]}"]))
              for n in names[1:]]
    edges = [f"  - [{a}, {b}]" for a, b in zip(["START", *names], [*names, "END"])]
    extra = [f"{key}: {value(0)}" for key in draw(st.lists(st.sampled_from(["description", "limits", "version", "b"]), max_size=2, unique=True))]
    return "\n".join(["name: g", "state: {q: str, a: str}", "nodes:", *nodes, "edges:", *edges, *extra]) + "\n"


class _Overtime(Exception):
    """The loader ran past the wall-clock deadline."""


@contextmanager
def _bounded(seconds: float, mib: int) -> Iterator[None]:
    """Fail if the body runs longer than `seconds` (interrupted by SIGALRM) or its Python
    allocations peak above `mib`; an address-space cap turns a runaway into a MemoryError
    instead of taking the machine down."""

    def overtime(signum: int, frame: Any) -> None:
        raise _Overtime(f"the loader ran longer than {seconds} s")

    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (psutil.Process().memory_info().vms + (2 << 30), hard))
    previous = signal.signal(signal.SIGALRM, overtime)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    tracemalloc.start()
    started = time.monotonic()
    try:
        yield
    finally:
        elapsed = time.monotonic() - started
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
    assert elapsed < seconds, f"took {elapsed:.1f} s"
    assert peak < mib << 20, f"peak {peak >> 20} MiB of Python allocations"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(yaml_documents())
def test_random_yaml_ends_in_a_spec_or_an_error_with_a_line(text: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.yaml"
        path.write_text(text, encoding="utf-8")
        with _bounded(DEADLINE_S, PEAK_MIB):
            try:
                spec = load_spec(path)
            except GraphSpecError as exc:
                assert exc.problems
                for problem in exc.problems:
                    assert problem.file == str(path) and problem.line is not None, str(problem)
                event("GraphSpecError")
                return
    assert isinstance(spec, GraphSpec) and spec.nodes
    event("valid spec")

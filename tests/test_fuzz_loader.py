"""Fuzzing: no input may crash loading or validation with anything but a clear error."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentkit.engine.validate import validate_spec
from agentkit.errors import GraphSpecError
from agentkit.spec import GraphSpec, dump_yaml
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

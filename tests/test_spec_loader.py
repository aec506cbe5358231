"""Graph files: parsing with line numbers, clear errors, exact round trip."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentkit.errors import GraphSpecError
from agentkit.spec import GraphSpec, dump_yaml, load_spec
from agentkit.spec.bounds import MAX_DEPTH
from agentkit.spec.loader import parse_yaml, spec_from_data

REPO = Path(__file__).resolve().parents[1]
MINIMAL = """\
name: tiny
state:
  question: str
  answer: {type: str, description: the reply}
nodes:
  reply: {kind: llm, llm: llm, template: "{question}", output: answer}
edges:
  - [START, reply]
  - [reply, END]
"""


def problems_of(text: str, tmp_path: Path) -> list[str]:
    path = tmp_path / "g.yaml"
    path.write_text(text)
    with pytest.raises(GraphSpecError) as info:
        load_spec(path)
    return [str(p) for p in info.value.problems]


def test_inline_node_params_and_shorthand_channels(tmp_path: Path) -> None:
    path = tmp_path / "g.yaml"
    path.write_text(MINIMAL)
    spec = load_spec(path)
    assert spec.nodes["reply"].kind == "llm"
    assert spec.nodes["reply"].params == {"llm": "llm", "template": "{question}", "output": "answer"}
    assert spec.state["question"].type == "str"
    assert spec.state["answer"].description == "the reply"
    assert spec.input_channel == "question" and spec.output_channel == "answer"
    assert spec.base_dir == tmp_path


def test_round_trip_is_exact_for_shipped_graphs() -> None:
    for path in sorted((REPO / "graphs").glob("*.yaml")):
        spec = load_spec(path)
        again = spec_from_data(parse_yaml(dump_yaml(spec))[0])
        assert again == spec, path.name
        assert dump_yaml(again) == dump_yaml(spec)


def test_malformed_yaml_names_file_and_line(tmp_path: Path) -> None:
    (problem,) = problems_of("name: x\nstate:\n  q: [str\nnodes: {}\n", tmp_path)
    assert "g.yaml:4" in problem and "malformed YAML" in problem and "fix:" in problem


def test_duplicate_key_is_an_error_not_silently_dropped(tmp_path: Path) -> None:
    text = MINIMAL.replace("nodes:\n", "nodes:\n  reply: {kind: llm}\n")
    (problem,) = problems_of(text, tmp_path)
    assert "duplicate key 'reply'" in problem and "g.yaml:7" in problem


def test_unknown_top_level_key_suggests_the_right_one(tmp_path: Path) -> None:
    (problem,) = problems_of(MINIMAL + "limitz: {max_steps: 3}\n", tmp_path)
    assert "g.yaml:10: limitz: unknown key 'limitz'" in problem and "did you mean 'limits'" in problem


def test_wrong_type_names_the_key_and_line(tmp_path: Path) -> None:
    (problem,) = problems_of(MINIMAL + "limits: {max_steps: many}\n", tmp_path)
    assert "g.yaml:10: limits.max_steps:" in problem


def test_node_without_kind(tmp_path: Path) -> None:
    (problem,) = problems_of(MINIMAL.replace("{kind: llm, ", "{"), tmp_path)
    assert "g.yaml:6: nodes.reply.kind: required key 'kind' is missing" in problem
    assert "agentkit nodes" in problem


def test_bad_edge_shape(tmp_path: Path) -> None:
    (problem,) = problems_of(MINIMAL.replace("[reply, END]", "[reply]"), tmp_path)
    assert "g.yaml:9: edges[1]: an edge list must be [from, to]" in problem


def test_not_a_mapping_and_missing_file(tmp_path: Path) -> None:
    (problem,) = problems_of("- just a list\n", tmp_path)
    assert "must be a mapping" in problem
    with pytest.raises(GraphSpecError, match="graph file not found"):
        load_spec(tmp_path / "missing.yaml")


def test_bad_names_rejected() -> None:
    with pytest.raises(GraphSpecError, match="must start with an ASCII letter .*; ' ' is not allowed"):
        spec_from_data({**parse_yaml(MINIMAL)[0], "name": "has space"})


def test_anchors_aliases_and_merge_keys_within_the_limits(tmp_path: Path) -> None:
    text = MINIMAL.replace("nodes:\n", "x-llm: &llm {kind: llm, llm: llm, output: answer}\nnodes:\n").replace(
        '{kind: llm, llm: llm, template: "{question}", output: answer}',
        '{<<: *llm, template: "{question}"}\n  again: {<<: *llm, output: question, template: "{answer}"}')
    data, source = parse_yaml(text, "g.yaml")
    assert data["nodes"]["reply"] == {"template": "{question}", "kind": "llm", "llm": "llm", "output": "answer"}
    assert data["nodes"]["again"]["output"] == "question"  # a written key wins over the merged one
    assert source.lines[("nodes", "again", "kind")] == 5  # merged keys point at the anchor's line


def test_limits_leave_room_for_any_real_graph() -> None:
    deepest = "name: x\nstate: " + "[" * MAX_DEPTH + "]" * MAX_DEPTH + "\n"
    assert parse_yaml(deepest)[0]["state"] == _nest(MAX_DEPTH)
    with pytest.raises(GraphSpecError, match=f"nested more than {MAX_DEPTH} levels"):
        parse_yaml(deepest.replace("[", "[[", 1).replace("]", "]]", 1))
    fan_out = lambda aliases: "a: &a [" + ", ".join(["x"] * 99) + "]\nb: [" + ", ".join(["*a"] * aliases) + "]\n"
    assert len(parse_yaml(fan_out(100))[0]["b"]) == 100  # each alias copies a list and its 99 values: 10,000
    with pytest.raises(GraphSpecError, match=r"g.yaml:1: b\[100\]: aliases .* expand to more than 10,000 values"):
        parse_yaml(fan_out(101), "g.yaml")


def _nest(depth: int) -> list:
    return [] if depth == 1 else [_nest(depth - 1)]


def test_graphspec_in_code_equals_file(tmp_path: Path) -> None:
    path = tmp_path / "g.yaml"
    path.write_text(MINIMAL)
    in_code = GraphSpec(
        name="tiny",
        state={"question": "str", "answer": {"type": "str", "description": "the reply"}},
        nodes={"reply": {"kind": "llm", "llm": "llm", "template": "{question}", "output": "answer"}},
        edges=[["START", "reply"], ["reply", "END"]],
    )
    assert in_code == load_spec(path)

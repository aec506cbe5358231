"""Bad input for graph files and the `graph` commands: YAML bombs, huge and deep files,
values YAML cannot build, names outside the rule, output paths that cannot be written.
Every case fails fast with a clear message and changes nothing on disk."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

import pytest
from harness import assert_clear_failure, run_cli, tree_digest

VALID = """\
name: tiny
state:
  question: str
  answer: str
resources:
  llm: {kind: chat_model}
nodes:
  reply: {kind: llm, llm: llm, template: "{question}", output: answer}
edges:
  - [START, reply]
  - [reply, END]
"""


def _nested_aliases(item: str, levels: int = 9, fan_out: int = 9) -> str:
    """The classic 'billion laughs': each anchor lists the previous one `fan_out` times."""
    lines = [f"a0: &a0 [{', '.join([item] * fan_out)}]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * fan_out)}]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


BOMB = _nested_aliases('"lol"')
MERGE_BOMB = "k0: &k0 {" + ", ".join(f"x{i}: {i}" for i in range(9)) + "}\n" + "".join(
    f"k{i}: &k{i} {{<<: [{', '.join([f'*k{i - 1}'] * 9)}]}}\n" for i in range(1, 9))
KEY_BOMB = "".join(f"? {line.split(': ', 1)[1]}\n: 1\n" for line in BOMB.splitlines())
DEEP_THROUGH_ALIASES = "d0: &d0 " + "[" * 9 + "x" + "]" * 9 + "\n" + "".join(
    f"d{i}: &d{i} {'[' * 9}*d{i - 1}{']' * 9}\n" for i in range(1, 7))

# (case id, files to write, arguments, exit code, fragments of the message)
CASES: list[tuple[str, dict[str, str], list[str], int, list[str]]] = [
    ("alias-bomb", {"g.yaml": BOMB}, ["graph", "validate", "g.yaml"], 2,
     ["g.yaml:1:", "aliases (*name) expand to more than 10,000 values", "alias bomb", "fix:"]),
    ("alias-bomb-run", {"g.yaml": BOMB}, ["run", "g.yaml", "-i", "x", "--no-trace"], 2,
     ["expand to more than 10,000 values"]),
    ("alias-bomb-show", {"g.yaml": BOMB}, ["graph", "show", "g.yaml"], 2, ["expand to more than 10,000 values"]),
    ("alias-bomb-in-subgraph", {"bomb.yaml": BOMB, "g.yaml": VALID.replace(
        'reply: {kind: llm, llm: llm, template: "{question}", output: answer}',
        "reply: {kind: subgraph, graph: bomb.yaml}")}, ["graph", "validate", "g.yaml"], 2,
     ["g.yaml:8: nodes.reply.graph: subgraph bomb.yaml is not valid", "expand to more than 10,000 values"]),
    ("merge-key-bomb", {"g.yaml": MERGE_BOMB}, ["graph", "validate", "g.yaml"], 2,
     ["expand to more than 10,000 values"]),
    ("alias-bomb-in-keys", {"g.yaml": KEY_BOMB}, ["graph", "validate", "g.yaml"], 2,
     ["g.yaml:9: a key must be a plain name or number, not a list or mapping"]),
    ("list-as-key", {"g.yaml": VALID + "? [a, b]\n: 1\n"}, ["graph", "validate", "g.yaml"], 2,
     ["g.yaml:12: a key must be a plain name or number"]),
    ("recursive-alias", {"g.yaml": "name: x\nstate: &s {q: [*s]}\n"}, ["graph", "validate", "g.yaml"], 2,
     ["g.yaml:2: state.q[0]: an alias (*name) refers to a value that contains it (a recursive alias)",
      "an anchor (&name) cannot be used inside its own value"]),
    ("recursive-merge", {"g.yaml": "name: x\nstate: &s {q: str, <<: *s}\n"}, ["graph", "validate", "g.yaml"], 2,
     ["g.yaml:2: state: a `<<` merge includes the mapping that contains it"]),
    ("merge-of-a-number", {"g.yaml": VALID.replace("state:\n", "state:\n  <<: 5\n")},
     ["graph", "validate", "g.yaml"], 2, ["g.yaml:3: state: `<<` merges a mapping or a list of mappings"]),
    ("file-over-1-MiB", {"g.yaml": VALID + f"description: {'x' * (1 << 20)}\n"}, ["graph", "validate", "g.yaml"],
     2, ["g.yaml: graph file is over the 1 MiB limit for graph files (1,048,7", "at most 1,048,576 allowed"]),
    ("endless-device", {}, ["graph", "validate", "/dev/zero"], 2, ["/dev/zero: graph file is over the 1 MiB limit"]),
    ("too-many-values", {"g.yaml": VALID + f"description: [{', '.join(['1'] * 60_000)}]\n"},
     ["graph", "validate", "g.yaml"], 2, ["g.yaml:12: more than 50,000 values in one graph file"]),
    ("flow-nested-1000-deep", {"g.yaml": "name: x\nstate: " + "[" * 1000 + "]" * 1000 + "\n"},
     ["graph", "validate", "g.yaml"], 2, ["g.yaml:2: YAML nested more than 50 levels deep", "fix:"]),
    ("block-nested-1000-deep", {"g.yaml": "name: x\nstate:\n" + "- " * 1000 + "x\n"},
     ["graph", "validate", "g.yaml"], 2, ["g.yaml:3: YAML nested more than 50 levels deep"]),
    ("deep-through-aliases", {"g.yaml": DEEP_THROUGH_ALIASES}, ["graph", "validate", "g.yaml"], 2,
     ["g.yaml:1: d5", "nested more than 50 levels deep (counting through aliases)"]),
    ("int-of-5000-digits", {"g.yaml": VALID + f"version: {'9' * 5000}\n"}, ["graph", "validate", "g.yaml"], 2,
     ["g.yaml:12: version: bad value '99999", "Exceeds the limit (4300 digits)", "quote the value"]),
    ("impossible-date", {"g.yaml": VALID + "version: 2024-13-45\n"}, ["graph", "validate", "g.yaml"], 2,
     ["g.yaml:12: version: bad value '2024-13-45': month must be in 1..12"]),
    ("control-character", {"g.yaml": VALID.replace("name: tiny", "name: ti\x07ny")}, ["graph", "validate", "g.yaml"],
     2, ["g.yaml:1: malformed YAML: character #x0007 is not allowed in YAML"]),
    ("empty-file", {"g.yaml": "# nothing yet\n"}, ["graph", "validate", "g.yaml"], 2,
     ["g.yaml:1: a graph file must be a mapping, got an empty file"]),
    ("non-ascii-node-name", {"g.yaml": VALID.replace("reply", "café")}, ["graph", "validate", "g.yaml"], 2,
     ["g.yaml:8: nodes.café: node name 'café' must start with an ASCII letter (a-z, A-Z) or '_'",
      "contain only ASCII letters", "'é' is not allowed"]),
    ("name-with-a-newline", {"g.yaml": VALID.replace("  reply:", '  "reply\\n":').replace(
        "[START, reply]", '[START, "reply\\n"]').replace("[reply, END]", '["reply\\n", END]')},
     ["graph", "validate", "g.yaml"], 2, ["node name 'reply\\n' must start with an ASCII letter", "'\\n' is not allowed"]),
    ("channel-name-starting-with-a-digit", {"g.yaml": VALID.replace("answer", "2answer")},
     ["graph", "validate", "g.yaml"], 2, ["channel name '2answer'", "it cannot start with '2'"]),
    ("schema-out-under-a-file", {"taken": "keep me\n"}, ["graph", "schema", "--out", "taken/schema.json"], 1,
     ["--out taken/schema.json: taken is a file, not a folder; choose another path"]),
    ("schema-out-is-a-folder", {"graphs/g.yaml": VALID}, ["graph", "schema", "--out", "graphs"], 1,
     ["--out graphs is a folder; give the path of a file inside it"]),
    ("png-under-a-file", {"g.yaml": VALID}, ["graph", "show", "g.yaml", "--png", "g.yaml/pic.png"], 1,
     ["--png g.yaml/pic.png: g.yaml is a file, not a folder"]),
]


@pytest.mark.parametrize(("files", "args", "exit_code", "fragments"),
                         [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_bad_graph_input_fails_clearly(workspace: Path, files: dict[str, str], args: list[str],
                                       exit_code: int, fragments: list[str]) -> None:
    for name, text in files.items():
        (workspace / name).parent.mkdir(parents=True, exist_ok=True)
        (workspace / name).write_text(text, encoding="utf-8")
    before = tree_digest(workspace)
    assert_clear_failure(run_cli(*args), exit_code, *fragments)
    assert tree_digest(workspace) == before


@pytest.mark.parametrize(("option", "check"), [
    ("--out", lambda path: json.loads(path.read_text())["title"]),
    ("--png", lambda path: path.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")),
], ids=["schema-out", "show-png"])
def test_output_into_missing_folders_is_written(workspace: Path, option: str,
                                                check: Callable[[Path], object]) -> None:
    (workspace / "g.yaml").write_text(VALID, encoding="utf-8")
    out = workspace / "new" / "deeper" / ("schema.json" if option == "--out" else "g.png")
    args = ["graph", "schema", "--out", str(out)] if option == "--out" else ["graph", "show", "g.yaml", "--png", str(out)]
    outcome = run_cli(*args)
    assert outcome.exit_code == 0 and outcome.exception is None, outcome.output
    assert check(out)

"""Bad input for prompts: names that are paths, links out of prompts/, broken history entries.

A prompt name resolves inside the workspace's prompts/ only, and viewing never writes."""

from __future__ import annotations

from pathlib import Path

import pytest
from harness import assert_clear_failure, run_cli, tree_digest

OUTSIDE = "template: secret {x}\n"
NOT_A_NAME = "is not a prompt name"
GRAPH = """\
name: leak
input: x
output: y
state: {x: str, y: str}
resources:
  llm: {kind: chat_model}
nodes:
  ask: {kind: llm, llm: llm, prompt: "%s", output: y}
edges: [[START, ask], [ask, END]]
"""


@pytest.fixture
def outside(workspace: Path) -> Path:
    """A prompt-like YAML file beside the workspace, and the workspace's own prompt."""
    (workspace / "prompts").mkdir()
    (workspace / "prompts" / "qa.yaml").write_text("template: 'Q: {question}'\n")
    path = workspace.parent / f"{workspace.name}-outside" / "secret.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(OUTSIDE)
    return path


def _traversal(outside: Path, workspace: Path) -> str:
    up = "../" * len(workspace.joinpath("prompts").parts)
    return (up + str(outside.with_suffix("")).lstrip("/"))


CASES = {
    "absolute path": (lambda o, w: str(o.with_suffix("")), ["prompts", "show"], NOT_A_NAME),
    "dot-dot path": (_traversal, ["prompts", "show"], NOT_A_NAME),
    "dot-dot path with version": (lambda o, w: _traversal(o, w) + "@abc", ["prompts", "show"], NOT_A_NAME),
    "relative path inside": (lambda o, w: "sub/qa", ["prompts", "show"], NOT_A_NAME),
    "diff of a path": (lambda o, w: str(o.with_suffix("")), ["prompts", "diff"], NOT_A_NAME),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_a_prompt_name_is_never_a_path(case: str, outside: Path, workspace: Path) -> None:
    make, command, fragment = CASES[case]
    args = [*command, make(outside, workspace)] + (["a", "b"] if command[-1] == "diff" else [])
    before = tree_digest(workspace), tree_digest(outside.parent)
    assert_clear_failure(run_cli(*args), 1, fragment, "prompts/")
    assert (tree_digest(workspace), tree_digest(outside.parent)) == before


def test_a_link_out_of_prompts_is_refused(outside: Path, workspace: Path) -> None:
    (workspace / "prompts" / "leak.yaml").symlink_to(outside)
    before = tree_digest(workspace)
    assert_clear_failure(run_cli("prompts", "show", "leak"), 1, "leak.yaml links to", "outside")
    assert tree_digest(workspace) == before


NODES_WITH_PROMPTS = {  # every node kind with a `prompt:` reference
    "llm": "{kind: llm, llm: llm, prompt: \"%s\", output: y}",
    "grade_documents": "{kind: grade_documents, by: llm, llm: llm, prompt: \"%s\"}",
    "rewrite_query": "{kind: rewrite_query, llm: llm, prompt: \"%s\"}",
    "generate_answer": "{kind: generate_answer, llm: llm, prompt: \"%s\", output: y}",
}
RAG_STATE = ("state: {x: str, y: str, question: str, query: str, documents: \"list[document]\", "
             "citations: \"list[dict]\"}")


@pytest.mark.parametrize("kind", NODES_WITH_PROMPTS)
@pytest.mark.parametrize(("name", "fragment"), [("outside", NOT_A_NAME), ("missing", "missing")],
                         ids=["outside", "missing"])
def test_a_node_prompt_that_does_not_resolve_fails_validation(kind: str, name: str, fragment: str,
                                                            outside: Path, workspace: Path) -> None:
    reference = _traversal(outside, workspace) if name == "outside" else "missing"
    graph = workspace / "graphs" / "leak.yaml"
    graph.parent.mkdir()
    graph.write_text((GRAPH % "").replace("{kind: llm, llm: llm, prompt: \"\", output: y}",
                                           NODES_WITH_PROMPTS[kind] % reference)
                     .replace("state: {x: str, y: str}", RAG_STATE))
    before = tree_digest(workspace), tree_digest(outside.parent)
    assert_clear_failure(run_cli("graph", "validate", str(graph)), 2, "leak.yaml:8: nodes.ask.prompt", fragment)
    assert (tree_digest(workspace), tree_digest(outside.parent)) == before


def test_validating_a_graph_writes_no_prompt_history(outside: Path, workspace: Path) -> None:
    graph = workspace / "graphs" / "qa.yaml"
    graph.parent.mkdir()
    graph.write_text((GRAPH % "qa").replace("state: {x: str, y: str}", "state: {x: str, y: str, question: str}"))
    before = tree_digest(workspace)
    outcome = run_cli("graph", "validate", str(graph))
    assert outcome.exit_code == 0, outcome.output
    assert tree_digest(workspace) == before


def test_a_broken_history_entry_names_its_file(outside: Path, workspace: Path) -> None:
    entry = workspace / "prompts" / ".history" / "qa" / "0123456789ab.json"
    entry.parent.mkdir(parents=True)
    entry.write_text("{not json")
    before = tree_digest(workspace)
    assert_clear_failure(run_cli("prompts", "show", "qa@0123"), 1, "0123456789ab.json: not a prompt history entry",
                         "delete it")
    assert tree_digest(workspace) == before


def _free_url() -> str:
    from phoenix_server import free_ports

    return f"http://127.0.0.1:{free_ports(1)[0]}"


PUSH_CASES = {
    "Phoenix not running": (lambda: ["qa", "--phoenix-url", _free_url()], "cannot reach Phoenix at http://127.0.0.1:",
                            "agentkit phoenix --detach"),
    "not a URL": (lambda: ["qa", "--phoenix-url", "http://[::1"], "is not a Phoenix URL", "http://127.0.0.1:6006"),
    "a path as name": (lambda: ["../../etc/passwd", "--phoenix-url", _free_url()], NOT_A_NAME, "prompts/"),
    "unknown name": (lambda: ["nope", "--phoenix-url", _free_url()], "no prompt named 'nope'", "qa"),
    "name Phoenix refuses": (lambda: ["Upper", "--phoenix-url", _free_url()], "Phoenix prompt names are lowercase",
                             "rename prompts/Upper.yaml"),
}


@pytest.mark.parametrize("case", PUSH_CASES, ids=list(PUSH_CASES))
def test_push_fails_clearly_and_writes_nothing(case: str, outside: Path, workspace: Path) -> None:
    args, *fragments = PUSH_CASES[case]
    (workspace / "prompts" / "Upper.yaml").write_text("template: hi\n")
    before = tree_digest(workspace)
    assert_clear_failure(run_cli("prompts", "push", *args()), 1, *fragments)
    assert tree_digest(workspace) == before


def test_push_with_no_prompts_says_so(workspace: Path) -> None:
    assert_clear_failure(run_cli("prompts", "push", "--phoenix-url", _free_url()), 1, "no prompts to push",
                         "has no NAME.yaml files")


HOSTILE_FILES = {
    "alias bomb": ("a: &a [x, x, x, x, x, x, x, x, x]\n"
                   + "".join(f"{c}: &{c} [{', '.join([f'*{p}'] * 9)}]\n"
                             for p, c in zip("abcdefg", "bcdefgh"))
                   + "template: '{x}'\n", "values from aliases"),
    "nested 1,000 deep": ("template: " + "[" * 1000 + "]" * 1000 + "\n", "nested more than 50 levels"),
    "over 1 MiB": ("template: '" + "x" * (1 << 20) + "'\n", "at most 1,048,576 bytes"),
}


@pytest.mark.parametrize("case", HOSTILE_FILES, ids=list(HOSTILE_FILES))
def test_a_hostile_prompt_file_is_a_clear_error(case: str, workspace: Path) -> None:
    text, fragment = HOSTILE_FILES[case]
    (workspace / "prompts").mkdir()
    (workspace / "prompts" / "bomb.yaml").write_text(text)
    before = tree_digest(workspace)
    assert_clear_failure(run_cli("prompts", "show", "bomb"), 1, "bomb.yaml", fragment)
    assert tree_digest(workspace) == before


def test_a_prompt_file_that_is_not_utf8_is_a_clear_error(workspace: Path) -> None:
    (workspace / "prompts").mkdir()
    (workspace / "prompts" / "latin1.yaml").write_bytes("template: caf\xe9 {x}\n".encode("latin-1"))
    before = tree_digest(workspace)
    assert_clear_failure(run_cli("prompts", "show", "latin1"), 1, "cannot read prompt file", "latin1.yaml",
                         "fix: save it as UTF-8 text")
    assert tree_digest(workspace) == before

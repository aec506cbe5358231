"""Adapters in graphs on hostile input: unknown adapter names (with a suggestion), bad
`adapters:` values, missing folders, and an adapter trained on another base model."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from harness import assert_clear_failure, run_cli, tree_digest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tiny_adapters import make_adapter  # noqa: E402

GRAPH = """\
name: polite
input: text
output: out
state: {{text: str, out: str}}
resources:
  llm: {{kind: chat_model, max_tokens: 4{resource}}}
nodes:
  speak: {{kind: {kind}, llm: llm, {node}}}
edges: [[START, speak], [speak, END]]
"""
LLM = "template: '{text}', output: out"
REWRITE = "input: text, output: out"

VALIDATION_CASES = [
    ("llm", ", adapters: {polite: ./polite}", f"adapter: polit, {LLM}",
     ["nodes.speak.adapter", "chat_model 'llm' has no adapter 'polit'", "did you mean 'polite'?"]),
    ("rewrite", "", f"adapter: polite, {REWRITE}",
     ["chat_model 'llm' has no adapter 'polite'", "none are defined", "resources.llm.adapters"]),
    ("llm", ", adapters: {base: ./x}", LLM, ["adapter name 'base' must be a plain name"]),
    ("llm", ", adapters: {my.tone: ./x}", LLM, ["adapter name 'my.tone' must be a plain name"]),
    ("llm", ", quantize: true, adapters: {polite: ./x}", LLM, ["adapters need the unquantized model"]),
    ("llm", ", provider: openai, adapters: {polite: ./x}", LLM, ["use provider: local, or drop adapters"]),
    ("rewrite", "", "input: text, output: text", ["the rewrite would overwrite its own input channel"]),
]


@pytest.mark.parametrize(("kind", "resource", "node", "fragments"), VALIDATION_CASES)
def test_adapter_mistakes_are_validation_errors(workspace: Path, kind: str, resource: str, node: str,
                                                fragments: list[str]) -> None:
    graph = workspace / "graph.yaml"
    graph.write_text(GRAPH.format(kind=kind, resource=resource, node=node))
    before = tree_digest(workspace)
    assert_clear_failure(run_cli("graph", "validate", str(graph)), 2, *fragments)
    assert tree_digest(workspace) == before


@pytest.fixture(scope="module")
def foreign_adapter(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_adapter(tmp_path_factory.mktemp("foreign") / "polite", seed=4, fingerprint="f" * 64)


BUILD_CASES = [
    ("./missing", ["adapter folder", "missing' does not exist", "adapter_config.json"]),
    ("no_such_shipped", ["adapter 'no_such_shipped' is not an adapter shipped with agentkit",
                         "give a folder path (e.g. ./no_such_shipped)"]),
    ("{foreign}", ["was trained on SmolLM2-135M-Instruct (bundled) (sha256 ffffffffffffffff…)",
                   "but the base model here is SmolLM2-135M-Instruct.Q4_1 (sha256", "retrain it"]),
]


@pytest.mark.parametrize(("value", "fragments"), BUILD_CASES)
def test_unloadable_adapters_fail_clearly_at_run(workspace: Path, foreign_adapter: Path, value: str,
                                                 fragments: list[str]) -> None:
    graph = workspace / "graph.yaml"
    resource = f", adapters: {{polite: '{value.format(foreign=foreign_adapter)}'}}"
    graph.write_text(GRAPH.format(kind="llm", resource=resource, node=f"adapter: polite, {LLM}"))
    before = tree_digest(workspace)
    assert_clear_failure(run_cli("run", str(graph), "-i", "hi", "--no-trace"), 1, *fragments)
    assert {k: v for k, v in tree_digest(workspace).items() if not k.startswith(".agentkit")} == before


DAMAGED = {
    "corrupt weights": ("adapter_model.safetensors", b"\x00" * 40,
                        ["its weights file adapter_model.safetensors cannot be read"]),
    "description not UTF-8": ("agentkit_adapter.json", b"\xff\xfe\x00garbage",
                              ["cannot read adapter description", "agentkit_adapter.json"]),
    "description not JSON": ("agentkit_adapter.json", b"{not json",
                             ["agentkit_adapter.json: not an agentkit adapter description"]),
}


@pytest.mark.parametrize("case", DAMAGED, ids=list(DAMAGED))
def test_a_damaged_adapter_folder_fails_clearly_and_leaves_the_base_usable(workspace: Path, case: str) -> None:
    file, content, fragments = DAMAGED[case]
    folder = make_adapter(workspace / "polite", seed=6)
    (folder / file).write_bytes(content)
    graph = workspace / "graph.yaml"
    graph.write_text(GRAPH.format(kind="llm", resource=", adapters: {polite: ./polite}",
                                  node=f"adapter: polite, {LLM}"))
    assert_clear_failure(run_cli("run", str(graph), "-i", "hi", "--no-trace"), 1, *fragments)
    base = workspace / "base.yaml"
    base.write_text(GRAPH.format(kind="llm", resource="", node=LLM))
    assert run_cli("run", str(base), "-i", "hi", "--no-trace").exit_code == 0

"""The README's plugin example runs as written, using only agentkit's public names."""

from __future__ import annotations

import ast
import contextlib
import io
import re
import textwrap
from pathlib import Path
from typing import Any

import agentkit
from agentkit import load_spec, validate_spec

README = Path(__file__).resolve().parents[1] / "README.md"


def _example() -> str:
    section = README.read_text(encoding="utf-8").split("## Extending\n", 1)[1].split("\n## ", 1)[0]
    (block,) = [b for b in re.findall(r"```python\n(.*?)```", section, re.S) if "@node_kind" in textwrap.dedent(b)]
    return textwrap.dedent(block)


def test_the_example_imports_only_public_names() -> None:
    imported = [(node.module, alias.name) for node in ast.walk(ast.parse(_example()))
                if isinstance(node, ast.ImportFrom) for alias in node.names]
    from_agentkit = [name for module, name in imported if module and module.split(".")[0] == "agentkit"]
    assert from_agentkit and all(module == "agentkit" for module, _ in imported if module.startswith("agentkit"))
    assert set(from_agentkit) <= set(agentkit.__all__)


def test_the_example_runs_and_its_kind_is_checked(write_graph: Any) -> None:
    namespace: dict[str, Any] = {"__name__": "readme_plugin"}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(_example(), str(README), "exec", dont_inherit=True), namespace)  # noqa: S102 - the README's own code
    assert out.getvalue() == "desserts\n"
    spec = load_spec(write_graph("""\
        name: mirror
        state: {text: str}
        nodes:
          flip: {kind: reverse, input: text, output: text}
        edges: [[START, flip], [flip, END]]
        """))
    (problem,) = validate_spec(spec, registry=namespace["registry"])
    assert "nodes.flip.output: output is the input channel" in str(problem)
    assert "fix: write to another channel" in str(problem)
    (unknown,) = validate_spec(spec)  # the default registry does not have it
    assert "unknown node kind 'reverse'" in str(unknown)

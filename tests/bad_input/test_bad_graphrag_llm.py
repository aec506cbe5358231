"""Bad input to the LLM extractor of `agentkit kg build`: an unreadable extraction cache is one
clear error naming the file and the fix, before any model loads, and nothing is changed."""

from __future__ import annotations

from pathlib import Path

import pytest
from harness import assert_clear_failure, run_cli, tree_digest


@pytest.mark.parametrize("args", [[], ["--estimate"]])
def test_an_unreadable_llm_cache_is_a_clear_error(workspace: Path, args: list[str]) -> None:
    cache = workspace / ".agentkit" / "graphs" / "llm_cache.sqlite"
    cache.parent.mkdir(parents=True)
    cache.write_bytes(b"this is not SQLite" * 64)
    before = tree_digest(workspace)
    outcome = run_cli("kg", "build", "--store", "kb", "--extractor", "llm", *args)
    assert_clear_failure(outcome, 1, f"{cache} is not a readable LLM extraction cache",
                         "fix: delete or move it away; it only holds cached model replies")
    assert tree_digest(workspace) == before

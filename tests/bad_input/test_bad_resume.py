"""`agentkit resume` with a wrong decision or thread: one clear sentence, nothing resumed."""

from __future__ import annotations

import pytest
from harness import assert_clear_failure, run_cli

CASES = {
    "no decision": (["resume", "t1"], "give exactly one of --approve, --edit JSON or --reject"),
    "two decisions": (["resume", "t1", "--approve", "--reject"], "(got --approve and --reject)"),
    "edit not JSON": (["resume", "t1", "--edit", "{expression: 2"], "--edit: not JSON"),
    "edit a number": (["resume", "t1", "--edit", "42"], "a JSON object of arguments or a list"),
    "reason without reject": (["resume", "t1", "--approve", "--reason", "x"], "--reason goes with --reject"),
    "unknown thread": (["resume", "nobody", "--approve"], "no checkpoints yet"),
    "empty thread": (["resume", "", "--approve"], "is empty"),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_a_bad_resume_fails_clearly(case: str) -> None:
    args, fragment = CASES[case]
    assert_clear_failure(run_cli(*args, "--no-trace"), 1, fragment)

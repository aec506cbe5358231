"""The bad-input suite's harness: run the CLI as a user would, check that the failure is
a clear message with the right exit code, and that nothing else on disk changed."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from typer.testing import CliRunner

from agentkit.cli.app import app


@dataclass(frozen=True)
class Outcome:
    """What the user saw: the exit code and everything printed (stdout and stderr)."""

    exit_code: int
    output: str
    exception: BaseException | None


def run_cli(*args: str, stdin: str | None = None) -> Outcome:
    """`agentkit ARGS...` in-process; stdout and stderr together, as a terminal shows them."""
    result = CliRunner().invoke(app, list(args), input=stdin)
    unexpected = result.exception if not isinstance(result.exception, SystemExit) else None
    return Outcome(result.exit_code, result.output, unexpected)


def assert_clear_failure(outcome: Outcome, exit_code: int, *fragments: str) -> None:
    """The command failed with `exit_code`, said each fragment, and showed no traceback."""
    assert outcome.exception is None, f"raised {outcome.exception!r}:\n{outcome.output}"
    assert "Traceback" not in outcome.output, outcome.output
    assert outcome.exit_code == exit_code, f"exit {outcome.exit_code}, not {exit_code}:\n{outcome.output}"
    flat = " ".join(outcome.output.split())
    for fragment in fragments:
        assert " ".join(fragment.split()) in flat, f"{fragment!r} not in:\n{outcome.output}"


def tree_digest(folder: Path) -> dict[str, str]:
    """Every file under `folder` (relative path -> sha256 of its bytes): compare before and
    after a failing command to show that it changed nothing."""
    if not folder.exists():
        return {}
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*")) if path.is_file()
    }

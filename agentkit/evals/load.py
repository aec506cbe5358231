"""One loader for saved eval results: the common format, and the older per-eval files
of `eval bfcl --json` and `eval retrieval --json` (converted on load)."""

from __future__ import annotations

from pathlib import Path

from agentkit.errors import read_text
from agentkit.jsonl import loads_json
from agentkit.evals.results import EvalResult


def load_result(path: Path) -> EvalResult:
    """Read a result file; clear ConfigError if it is none of the known formats."""
    text = read_text(path, "result file", "pass a file written by `agentkit eval ... --json`")
    try:
        head = loads_json(text)
    except ValueError:
        head = None  # EvalResult.load says what is wrong
    benchmark = head.get("benchmark") if isinstance(head, dict) and "format" not in head else None
    if benchmark == "bfcl":
        from agentkit.evals.bfcl.results import BfclRun
        from agentkit.evals.bfcl.suite import to_result

        return to_result(BfclRun.load(path))
    if benchmark == "retrieval":
        from agentkit.evals.retrieval.results import RetrievalRun
        from agentkit.evals.retrieval.suite import to_result as retrieval_result

        return retrieval_result(RetrievalRun.load(path))
    return EvalResult.load(path)

"""BFCL (Berkeley Function Calling Leaderboard) tool-calling eval: load the data, turn
function docs into tools, check calls with BFCL's AST rules."""

from agentkit.evals.bfcl.loading import BfclDataError, load_bfcl
from agentkit.evals.bfcl.matching import check_calls
from agentkit.evals.bfcl.records import BfclItem, Call, ExpectedCall, FunctionDoc
from agentkit.evals.bfcl.schema import ToolSet, to_openai_tool, tool_set

__all__ = [
    "BfclDataError",
    "BfclItem",
    "Call",
    "ExpectedCall",
    "FunctionDoc",
    "ToolSet",
    "check_calls",
    "load_bfcl",
    "to_openai_tool",
    "tool_set",
]

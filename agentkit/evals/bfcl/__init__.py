"""BFCL (Berkeley Function Calling Leaderboard) tool-calling eval: load the data, turn
function docs into tools, run them through a chat model, check calls with BFCL's AST
rules, score per category, report in the common eval result format (`suite.py`)."""

from agentkit.evals.bfcl.loading import BfclDataError, load_bfcl
from agentkit.evals.bfcl.matching import check_calls
from agentkit.evals.bfcl.records import BfclItem, Call, ExpectedCall, FunctionDoc
from agentkit.evals.bfcl.results import BfclRun, CategoryScore, ItemResult
from agentkit.evals.bfcl.running import run_bfcl, run_item
from agentkit.evals.bfcl.schema import ToolSet, to_openai_tool, tool_set

__all__ = [
    "BfclDataError",
    "BfclItem",
    "BfclRun",
    "Call",
    "CategoryScore",
    "ExpectedCall",
    "FunctionDoc",
    "ItemResult",
    "ToolSet",
    "check_calls",
    "load_bfcl",
    "run_bfcl",
    "run_item",
    "to_openai_tool",
    "tool_set",
]

"""BFCL (Berkeley Function Calling Leaderboard) tool-calling eval: load the data, turn
function docs into tools, run them through a chat model, check calls with BFCL's AST
rules, report per category (table, JSON, HTML with a chart)."""

from agentkit.evals.bfcl.html import write_html
from agentkit.evals.bfcl.loading import BfclDataError, load_bfcl
from agentkit.evals.bfcl.matching import check_calls
from agentkit.evals.bfcl.records import BfclItem, Call, ExpectedCall, FunctionDoc
from agentkit.evals.bfcl.report import scores_table
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
    "scores_table",
    "to_openai_tool",
    "tool_set",
    "write_html",
]

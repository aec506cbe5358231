"""Helpers for writing tools that never crash an agent."""

from __future__ import annotations

from langchain_core.tools import BaseTool
from pydantic import ValidationError


def forgiving(tool: BaseTool) -> BaseTool:
    """Make `tool` answer failures as text the model can act on: a ToolException's
    message, or which arguments were invalid and why."""

    def invalid_arguments(exc: ValidationError) -> str:
        details = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        return f"invalid arguments for {tool.name}: {details}"

    tool.handle_tool_error = True
    tool.handle_validation_error = invalid_arguments
    return tool

"""The workspace tools are found by name by the registry, and describe themselves to models."""

from __future__ import annotations

import shutil
from pathlib import Path

from fake_apis import TOOLS

from agentkit.engine.registry import Registry

NAMES = ["calculator", "stock_quote", "unit_convert", "weather"]


def test_registry_finds_the_tools(workspace: Path) -> None:
    (workspace / "tools").mkdir()
    for name in NAMES:
        shutil.copy(TOOLS / f"{name}.py", workspace / "tools")
    found = Registry(builtins=False, plugins=False).tools(workspace)  # only the workspace's
    assert sorted(found) == NAMES
    for tool in found.values():
        assert tool.handle_tool_error is True and callable(tool.handle_validation_error)
        assert tool.description and tool.args_schema.model_json_schema()["properties"]
    for tool in found.values():  # every argument is described to the model
        properties = tool.args_schema.model_json_schema()["properties"]
        assert all(spec.get("description") for spec in properties.values()), tool.name
    assert found["weather"].args_schema.model_json_schema()["properties"]["days"] == {
        "default": 1, "description": "number of forecast days, 1 to 16.", "title": "Days", "type": "integer"}

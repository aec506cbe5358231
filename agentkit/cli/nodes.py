"""`agentkit nodes`: the node kinds, resource kinds and tools that graphs can use."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel
from rich.console import Console
from rich.table import Table

from agentkit.cli.errors import friendly_errors
from agentkit.engine.refs import describe_ref
from agentkit.engine.registry import registry
from agentkit.workspace import find_workspace

console = Console()


def _params_text(model: type[BaseModel]) -> str:
    lines = []
    for name, field in model.model_fields.items():
        annotation: Any = field.rebuild_annotation()
        refers = describe_ref(annotation)
        required = "required" if field.is_required() else f"default {field.get_default(call_default_factory=True)!r}"
        text = f"[bold]{name}[/] ({required}{', names a ' + refers if refers else ''})"
        lines.append(text + (f": {field.description}" if field.description else ""))
    return "\n".join(lines)


@friendly_errors
def nodes_command() -> None:
    """List node kinds and resource kinds with their parameters, and the tools found."""
    for title, kinds in (("Node kinds", registry.node_kinds()), ("Resource kinds", registry.resource_kinds())):
        table = Table(title=title, show_lines=True)
        table.add_column("kind", style="cyan", no_wrap=True)
        table.add_column("what it does")
        table.add_column("parameters")
        for name, kind in sorted(kinds.items()):
            table.add_row(name, kind.description, _params_text(kind.params_model))
        console.print(table)
    workspace: Path = find_workspace()
    tools = registry.tools(workspace)
    table = Table(title=f"Tools (registered, entry points, {workspace / 'tools'})")
    table.add_column("tool", style="cyan", no_wrap=True)
    table.add_column("description")
    for name, tool in sorted(tools.items()):
        table.add_row(name, (tool.description or "").split("\n")[0])
    console.print(table)

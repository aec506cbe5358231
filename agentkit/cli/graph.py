"""`agentkit graph validate | show | schema`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from agentkit.cli.errors import friendly_errors
from agentkit.engine.schema import graph_json_schema
from agentkit.engine.validate import check_spec
from agentkit.spec.draw import draw_png, to_mermaid
from agentkit.spec.loader import load_spec
from agentkit.spec.output import write_output

graph_app = typer.Typer(help="Check, draw and describe graph files.", no_args_is_help=True)
console = Console()
GraphFile = Annotated[Path, typer.Argument(help="graph file (YAML)")]


@graph_app.command("validate")
@friendly_errors
def validate_command(file: GraphFile) -> None:
    """Check a graph file; exit 0 if it is valid, 2 with every problem if not."""
    spec = load_spec(file)
    check_spec(spec)
    console.print(f"[green]ok[/] {escape(str(file))}: graph {escape(repr(spec.name))} v{spec.version}, "
                  f"{len(spec.nodes)} nodes, {len(spec.edges)} edges", highlight=False)


@graph_app.command("show")
@friendly_errors
def show_command(
    file: GraphFile,
    png: Annotated[Path | None, typer.Option("--png", help="also write a PNG picture here")] = None,
) -> None:
    """Print the graph as Mermaid (paste into any Mermaid viewer); --png draws it."""
    spec = load_spec(file)
    typer.echo(to_mermaid(spec), nl=False)
    if png is not None:
        write_output(png, "--png", lambda path: draw_png(spec, path))
        console.print(f"wrote {png}", highlight=False)


@graph_app.command("schema")
@friendly_errors
def schema_command(
    out: Annotated[Path | None, typer.Option("--out", help="write to this file instead of stdout")] = None,
) -> None:
    """JSON Schema of graph files (point your editor's YAML plugin at it)."""
    text = json.dumps(graph_json_schema(), indent=2)
    if out is None:
        typer.echo(text)
    else:
        write_output(out, "--out", lambda path: path.write_text(text + "\n", encoding="utf-8"))

"""`agentkit kg build|stats|show|export|merges|unmerge`: parse, call agentkit.graphrag, print."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from agentkit.cli.errors import friendly_errors
from agentkit.errors import ConfigError
from agentkit.rag.options import store_options
from agentkit.spec.output import write_output
from agentkit.workspace import find_workspace

console = Console()
kg_app = typer.Typer(help="Knowledge graphs derived from a store: build, inspect, draw, export.",
                     no_args_is_help=True)
StoreOption = Annotated[str, typer.Option("--store", help="the store the graph is derived from")]


@kg_app.command("build")
@friendly_errors
def build_command(
    store: StoreOption = "docs",
    extractor: Annotated[Literal["lexical", "llm"], typer.Option(
        "--extractor", help="lexical (fast, no model) or llm (constrained JSON by a chat model)")] = "lexical",
    llm: Annotated[str | None, typer.Option(
        "--llm", help="llm extractor: model folder, .gguf or hub id (default: the bundled model); "
        "with --base-url, a served model name")] = None,
    base_url: Annotated[str | None, typer.Option("--base-url", help="OpenAI-compatible server for --llm")] = None,
    estimate: Annotated[bool, typer.Option("--estimate", help="print chunks, tokens and time; extract nothing")] = False,
    rebuild: Annotated[bool, typer.Option("--rebuild", help="forget stored extractions and start over")] = False,
    batch_size: Annotated[int, typer.Option("--batch-size", min=1, help="chunks extracted per committed batch")] = 64,
) -> None:
    """Build or update the store's entity graph (only new or changed chunks are extracted)."""
    from agentkit.graphrag.extractors import make_extractor, estimate_extraction
    from agentkit.graphrag.workspace import update_store_graph

    config = store_options(store)
    workspace = find_workspace()
    chosen = make_extractor(extractor, llm, base_url, workspace)
    if estimate:
        console.print(estimate_extraction(config, workspace, chosen), highlight=False)
        return
    from agentkit.graphrag.build import BuildCallbacks, BuildSettings

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("reading the store", total=None)

        def planned(new: int, removed: int) -> None:
            bar.update(task, description=f"extracting entities ({extractor})", total=new, completed=0)

        def phase(name: str) -> None:
            bar.update(task, description=f"deriving the graph: {name}", total=None)

        report = update_store_graph(config, workspace, chosen, BuildSettings(batch_size=batch_size), BuildCallbacks(
            planned=planned, extracted=lambda n: bar.advance(task, n), phase=phase), rebuild=rebuild)
    console.print(f"store {store!r}: {report.summary()}", highlight=False)


@kg_app.command("stats")
@friendly_errors
def stats_command(
    store: StoreOption = "docs",
    top: Annotated[int, typer.Option("--top", min=0, help="how many of the most mentioned entities to list")] = 10,
) -> None:
    """Counts, the most connected entities and the largest communities."""
    from agentkit.graphrag.knowledge_graph import load_knowledge_graph
    from agentkit.graphrag.stats import graph_stats

    kg = load_knowledge_graph(store_options(store), find_workspace())
    stats = graph_stats(kg, top)
    m = kg.meta
    console.print(f"store {store!r}: {m.chunks} chunks, {m.entities} entities, {m.relations} relations, "
                  f"{m.communities} communities ({stats.levels}), {len(kg.merges)} merges\n"
                  f"built {m.built:%Y-%m-%d %H:%M} by {m.extractor} v{m.extractor_version} in {m.seconds:.1f} s",
                  highlight=False, soft_wrap=True)
    if stats.top_entities:
        table = Table("entity", "type", "chunks", "neighbours")
        for row in stats.top_entities:
            table.add_row(escape(row.name), row.type, str(row.chunks), str(row.neighbours))
        console.print(table)


@kg_app.command("show")
@friendly_errors
def show_command(
    store: StoreOption = "docs",
    entity: Annotated[str | None, typer.Option("--entity", help="one entity's neighbourhood")] = None,
    png: Annotated[Path | None, typer.Option("--png", help="draw to a PNG file")] = None,
    html: Annotated[Path | None, typer.Option("--html", help="draw to an interactive HTML file")] = None,
    top: Annotated[int, typer.Option("--top", min=1, help="most entities drawn")] = 60,
) -> None:
    """Draw the graph or one entity's neighbourhood (communities coloured), or print an entity's facts."""
    from agentkit.graphrag import draw
    from agentkit.graphrag.knowledge_graph import load_knowledge_graph
    from agentkit.graphrag.stats import entity_facts
    from agentkit.graphrag.workspace import find_entity

    if png and html:
        raise ConfigError("agentkit kg show: give --png or --html, not both")
    kg = load_knowledge_graph(store_options(store), find_workspace())
    node = find_entity(kg, entity) if entity else None
    if png or html:
        out, option = (png, "--png") if png else (html, "--html")
        assert out is not None
        drawer = draw.draw_png if png else draw.write_html
        write_output(out, option, lambda path: drawer(kg.graph, kg.communities, path, entity=node, top=top))
        console.print(f"wrote {out}", highlight=False)
        return
    if node is None:
        raise ConfigError("agentkit kg show: give --entity NAME, or --png/--html FILE to draw the graph")
    console.print(entity_facts(kg, node), highlight=False, soft_wrap=True)


@kg_app.command("export")
@friendly_errors
def export_command(
    graphml: Annotated[Path, typer.Option("--graphml", help="GraphML file (opens in Gephi, yEd, Cytoscape)")],
    store: StoreOption = "docs",
) -> None:
    """Write the graph as GraphML."""
    from agentkit.graphrag.draw import export_graphml
    from agentkit.graphrag.knowledge_graph import load_knowledge_graph

    kg = load_knowledge_graph(store_options(store), find_workspace())
    write_output(graphml, "--graphml", lambda path: export_graphml(kg.graph, path, kg.communities))
    console.print(f"wrote {graphml} ({kg.graph.number_of_nodes()} nodes, {kg.graph.number_of_edges()} edges)",
                  highlight=False)


@kg_app.command("merges")
@friendly_errors
def merges_command(store: StoreOption = "docs") -> None:
    """The names entity resolution merged, and the pairs kept apart with `kg unmerge`."""
    from agentkit.graphrag.knowledge_graph import load_knowledge_graph
    from agentkit.graphrag.workspace import open_graph_files

    config = store_options(store)
    kg = load_knowledge_graph(config, find_workspace())
    table = Table("alias", "merged into", "by", "score")
    for merge in kg.merges:
        table.add_row(escape(merge.alias), escape(merge.canonical), merge.method, f"{merge.score:.2f}")
    console.print(table if kg.merges else "no merges")
    files = open_graph_files(config, find_workspace())
    try:
        kept = sorted({tuple(sorted(pair)) for pair in files.unmerged()})
    finally:
        files.close()
    for a, b in kept:
        console.print(f"kept apart: {a} / {b}", highlight=False)


@kg_app.command("unmerge")
@friendly_errors
def unmerge_command(
    alias: Annotated[str, typer.Argument(help="a merged name (see `agentkit kg merges`)", show_default=False)],
    store: StoreOption = "docs",
    undo: Annotated[bool, typer.Option("--undo", help="allow the merge again")] = False,
) -> None:
    """Keep a merged name apart from the entity it was merged into (takes effect at the next build)."""
    from agentkit.graphrag.workspace import set_kept_apart

    pair = set_kept_apart(store_options(store), find_workspace(), alias, keep_apart=not undo)
    verb = "may merge again" if undo else "are kept apart"
    console.print(f"{pair[0]} and {pair[1]} {verb}; run `agentkit kg build --store {store}` to apply",
                  highlight=False)

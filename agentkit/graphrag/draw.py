"""Pictures of a knowledge graph: PNG (matplotlib), self-contained HTML (inline SVG, works
offline, no CDN) and GraphML for Gephi, yEd or Cytoscape.

The whole graph is drawn as its `top` most mentioned entities and the ties between them;
one entity's neighbourhood as that entity, its most strongly tied entities and the chunks
within two hops that mention them. Entities are coloured by their level-0 community.
"""

from __future__ import annotations

import html
import json
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path

import networkx as nx

from agentkit.errors import ConfigError
from agentkit.graphrag.communities import Community, entity_graph, top_level
from agentkit.graphrag.types import CHUNK, ENTITY

PALETTE = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
           "#9c755f", "#bab0ac", "#1f77b4", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#17becf"]
ALONE = "#cfcfcf"
CHUNK_COLOR = "#eeeeee"
LABEL = 28


def view(graph: nx.Graph, entity: str | None = None, top: int = 60) -> nx.Graph:
    """The part of `graph` to draw: the `top` most mentioned entities with their ties (relation
    weight + shared chunks, attribute `weight`), or `entity`'s neighbourhood (at most `top`
    entities, and at most max(8, top // 3) chunks, direct ones first)."""
    if top < 1:
        raise ConfigError(f"top must be at least 1, got {top}")
    if entity is None:
        entities = [n for n in graph if n.startswith(ENTITY)]
        if not entities:
            raise ConfigError("the graph has no entities to draw\n    fix: build it from a store with "
                              "documents: `agentkit index ...`, then `agentkit kg build --store NAME`")
        chosen = sorted(entities, key=lambda n: (-len(graph.nodes[n].get("chunk_ids", [])),
                                                 -graph.nodes[n].get("mentions", 0), n))[:top]
        shown = nx.Graph()
        shown.add_nodes_from((n, graph.nodes[n]) for n in chosen)
        shown.add_edges_from(entity_graph(graph.subgraph(chosen + _chunks_of(graph, chosen))).edges(data=True))
        return shown
    if entity not in graph or not entity.startswith(ENTITY):
        raise ConfigError(f"{entity!r} is not an entity of this graph\n    fix: give an entity id "
                          "'e:<normalised name>' (`agentkit kg stats` lists entities)")
    ties: dict[str, float] = defaultdict(float)
    for neighbour, data in graph[entity].items():
        if neighbour.startswith(ENTITY):
            ties[neighbour] += float(data.get("weight", 1.0))
    direct = sorted(n for n in graph[entity] if n.startswith(CHUNK))
    for chunk in direct:
        for neighbour in graph[chunk]:
            if neighbour.startswith(ENTITY) and neighbour != entity:
                ties[neighbour] += 1.0
    neighbours = sorted(ties, key=lambda n: (-ties[n], n))[:top - 1]
    chosen = {entity, *neighbours}
    mentions = {c: sum(1 for n in graph[c] if n in chosen) for c in set(direct) | set(_chunks_of(graph, neighbours))}
    chunks = sorted(mentions, key=lambda c: (c not in direct, -mentions[c], c))[:max(8, top // 3)]
    picked = graph.subgraph([*chosen, *chunks]).copy()
    for u, v, data in picked.edges(data=True):
        data.setdefault("weight", 1.0)
    return picked


def colours(graph: nx.Graph, communities: Sequence[Community]) -> dict[str, str]:
    """Node -> colour: entities by level-0 community (grey when alone), chunks light grey."""
    owner = top_level(communities)
    sizes = {c.id: len(c.entities) for c in communities if c.level == 0}
    shared = sorted((cid for cid, size in sizes.items() if size > 1), key=lambda cid: (-sizes[cid], cid))
    palette = {cid: PALETTE[i % len(PALETTE)] for i, cid in enumerate(shared)}
    return {n: CHUNK_COLOR if n.startswith(CHUNK) else palette.get(owner.get(n, ""), ALONE) for n in graph}


def draw_png(graph: nx.Graph, communities: Sequence[Community], path: Path, entity: str | None = None,
             top: int = 60) -> Path:
    """Draw the graph (or `entity`'s neighbourhood) to a PNG."""
    from matplotlib.figure import Figure  # no pyplot: the process's backend stays as it is

    shown = view(graph, entity, top)
    places = _layout(shown)
    fill = colours(shown, communities)
    entities = [n for n in shown if n.startswith(ENTITY)]
    chunks = [n for n in shown if n.startswith(CHUNK)]
    side = max(7.0, min(18.0, 2.2 * len(shown) ** 0.5))
    figure = Figure(figsize=(side, side))
    axes = figure.subplots()
    widths = [0.5 + min(4.0, float(w)) * 0.5 for *_, w in shown.edges(data="weight")]
    nx.draw_networkx_edges(shown, places, width=widths, edge_color="#999999", alpha=0.6, ax=axes)
    nx.draw_networkx_nodes(shown, places, nodelist=chunks, node_shape="s", node_size=120,
                           node_color=[fill[n] for n in chunks], edgecolors="#888888", ax=axes)
    nx.draw_networkx_nodes(shown, places, nodelist=entities, node_size=[_size(shown, n, entity) for n in entities],
                           node_color=[fill[n] for n in entities], edgecolors="#333333", ax=axes)
    nx.draw_networkx_labels(shown, places, labels={n: _label(shown, n) for n in shown}, font_size=7, ax=axes)
    axes.set_title(_title(shown, entity))
    axes.axis("off")
    figure.tight_layout()
    return _written(path, lambda: figure.savefig(path, dpi=110, format="png"))


def write_html(graph: nx.Graph, communities: Sequence[Community], path: Path, entity: str | None = None,
               top: int = 60) -> Path:
    """Write a self-contained HTML page (inline SVG: hover a node for its facts, wheel to zoom,
    drag to pan) of the graph or `entity`'s neighbourhood."""
    shown = view(graph, entity, top)
    places = _layout(shown)
    fill = colours(shown, communities)
    size = 900
    point = {n: (40 + (x + 1) / 2 * (size - 80), 40 + (1 - (y + 1) / 2) * (size - 80)) for n, (x, y) in places.items()}
    parts = []
    for u, v, weight in shown.edges(data="weight"):
        (x1, y1), (x2, y2) = point[u], point[v]
        parts.append(f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
                     f'stroke-width="{0.5 + min(4.0, float(weight)) * 0.5:.1f}"/>')
    for n in sorted(shown, key=lambda n: n.startswith(ENTITY)):  # entities on top
        x, y = point[n]
        tip = html.escape(_tooltip(shown, n))
        if n.startswith(CHUNK):
            shape = f'<rect x="{x - 5:.1f}" y="{y - 5:.1f}" width="10" height="10" fill="{fill[n]}" class="chunk"/>'
        else:
            radius = (_size(shown, n, entity) / 3.14159) ** 0.5 * 0.6
            shape = f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{radius:.1f}" fill="{fill[n]}"/>'
        label = html.escape(_label(shown, n))
        parts.append(f'<g><title>{tip}</title>{shape}<text x="{x:.1f}" y="{y + 16:.1f}">{label}</text></g>')
    legend = _legend(shown, communities, fill)
    page = _PAGE.format(title=html.escape(_title(shown, entity)), size=size, svg="\n".join(parts), legend=legend)
    return _written(path, lambda: path.write_text(page, encoding="utf-8"))


def export_graphml(graph: nx.Graph, path: Path, communities: Sequence[Community] = ()) -> Path:
    """Write the graph as GraphML; list attributes become '; '-joined strings (GraphML holds
    scalars), weights are all floats, and with `communities` each entity gets its level-0
    community id as attribute `community` (colour by it in Gephi)."""
    owner = top_level(communities)
    flat = nx.Graph()
    flat.add_nodes_from((n, _scalars({**data, "community": owner.get(n)})) for n, data in graph.nodes(data=True))
    flat.add_edges_from((u, v, _scalars(data)) for u, v, data in graph.edges(data=True))
    return _written(path, lambda: nx.write_graphml(flat, path))


def _written(path: Path, write: Callable[[], object]) -> Path:
    """Run `write`; a folder, or what the OS refuses, becomes a ConfigError naming the file."""
    if path.is_dir():
        raise ConfigError(f"{path} is a folder; give the path of a file inside it")
    try:
        write()
    except OSError as exc:
        raise ConfigError(f"cannot write {path} ({exc.strerror or exc}); choose another path") from None
    return path


def _scalars(data: dict) -> dict:
    flat = {}
    for key, value in data.items():
        if isinstance(value, (list, tuple, set)):
            flat[key] = "; ".join(str(v) for v in value)
        elif isinstance(value, dict):
            flat[key] = json.dumps(value, sort_keys=True)
        elif key == "weight":
            flat[key] = float(value)
        elif value is not None:
            flat[key] = value
    return flat


def _chunks_of(graph: nx.Graph, entities: Sequence[str]) -> list[str]:
    return sorted({c for n in entities for c in graph[n] if c.startswith(CHUNK)})


def _layout(shown: nx.Graph) -> dict[str, tuple[float, float]]:
    """Deterministic spring layout scaled to [-1, 1]."""
    if shown.number_of_nodes() == 1:
        return {next(iter(shown)): (0.0, 0.0)}
    places = nx.spring_layout(shown, weight="weight", seed=0, k=1.5 / max(1, shown.number_of_nodes()) ** 0.5)
    return {n: (float(x), float(y)) for n, (x, y) in places.items()}


def _size(shown: nx.Graph, node: str, focus: str | None) -> float:
    base = 140 + 50 * min(12, len(shown.nodes[node].get("chunk_ids", [])))
    return base * 2 if node == focus else base


def _label(shown: nx.Graph, node: str) -> str:
    """Entities by name; chunks by title (or document) and the start of their id, as cited."""
    data = shown.nodes[node]
    if node.startswith(CHUNK):
        cited = f" [{node[len(CHUNK):][:6]}]"
        return _cut(str(data.get("title") or data.get("doc_id") or ""), LABEL - len(cited)) + cited
    return _cut(str(data.get("name") or node), LABEL)


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[:width - 1] + "…"


def _title(shown: nx.Graph, focus: str | None) -> str:
    entities = sum(1 for n in shown if n.startswith(ENTITY))
    chunks = shown.number_of_nodes() - entities
    if focus is None:
        return f"knowledge graph: top {entities} entities"
    return f"neighbourhood of {shown.nodes[focus].get('name', focus)}: {entities} entities, {chunks} chunks"


def _tooltip(shown: nx.Graph, node: str) -> str:
    data = shown.nodes[node]
    if node.startswith(CHUNK):
        return f"chunk {node[len(CHUNK):]}\ndocument {data.get('doc_id', '')}\n{data.get('title', '')}".rstrip()
    chunk_ids = list(data.get("chunk_ids", []))
    lines = [f"{data.get('name', node)} ({data.get('type', 'entity')})",
             f"chunks: {', '.join(chunk_ids[:8])}" + (f" … (+{len(chunk_ids) - 8})" if len(chunk_ids) > 8 else "")]
    if data.get("description"):
        lines.append(str(data["description"])[:300])
    return "\n".join(lines)


def _legend(shown: nx.Graph, communities: Sequence[Community], fill: dict[str, str]) -> str:
    """One line per community drawn: its colour and the names of its drawn entities."""
    owner = top_level(communities)
    members: dict[str, list[str]] = defaultdict(list)
    for n in shown:
        if n.startswith(ENTITY) and fill[n] != ALONE:
            members[owner[n]].append(_label(shown, n))
    rows = [f'<li><span style="background:{fill[next(n for n in shown if owner.get(n) == cid)]}"></span>'
            f'community {html.escape(cid)}: {html.escape(", ".join(sorted(names)[:6]))}</li>'
            for cid, names in sorted(members.items(), key=lambda item: (-len(item[1]), item[0]))]
    return "<ul>" + "".join(rows) + "</ul>"


_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: sans-serif; margin: 1em; }}
svg {{ border: 1px solid #ddd; cursor: grab; }}
line {{ stroke: #999; stroke-opacity: 0.6; }}
circle {{ stroke: #333; stroke-width: 1; }}
rect.chunk {{ stroke: #888; }}
text {{ font-size: 10px; text-anchor: middle; pointer-events: none; }}
ul {{ list-style: none; padding: 0; font-size: 13px; }}
li span {{ display: inline-block; width: 12px; height: 12px; margin-right: 6px; border: 1px solid #555; }}
</style></head>
<body><h3>{title}</h3>
<p>Circles are entities (coloured by community), squares are chunks. Hover for details, wheel to zoom, drag to pan.</p>
<svg id="graph" width="{size}" height="{size}" viewBox="0 0 {size} {size}">
{svg}
</svg>
{legend}
<script>
const svg = document.getElementById("graph");
let box = [0, 0, {size}, {size}], drag = null;
const show = () => svg.setAttribute("viewBox", box.join(" "));
svg.addEventListener("wheel", e => {{
  e.preventDefault();
  const f = e.deltaY > 0 ? 1.15 : 1 / 1.15, r = svg.getBoundingClientRect();
  const x = box[0] + (e.clientX - r.left) / r.width * box[2], y = box[1] + (e.clientY - r.top) / r.height * box[3];
  box = [x - (x - box[0]) * f, y - (y - box[1]) * f, box[2] * f, box[3] * f]; show();
}});
svg.addEventListener("mousedown", e => {{ drag = [e.clientX, e.clientY]; }});
window.addEventListener("mouseup", () => {{ drag = null; }});
svg.addEventListener("mousemove", e => {{
  if (!drag) return;
  const r = svg.getBoundingClientRect();
  box[0] -= (e.clientX - drag[0]) / r.width * box[2]; box[1] -= (e.clientY - drag[1]) / r.height * box[3];
  drag = [e.clientX, e.clientY]; show();
}});
</script>
</body></html>
"""

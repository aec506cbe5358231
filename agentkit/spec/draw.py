"""Pictures of a graph spec: Mermaid text and a PNG, without building any node."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from agentkit.spec.models import END, START, Edge, GraphSpec


def labelled_edges(spec: GraphSpec) -> list[tuple[str, str, str | None]]:
    """(source, target, route label or None) for every edge of the spec."""
    found: list[tuple[str, str, str | None]] = []
    for edge in spec.edges:
        if isinstance(edge, Edge):
            found.append((edge.source, edge.target, None))
            continue
        found.extend((edge.source, target, label) for label, target in edge.routes.items())
        if edge.default is not None:
            found.append((edge.source, edge.default, "default"))
    return found


def to_mermaid(spec: GraphSpec) -> str:
    """A Mermaid flowchart: nodes with their kinds, route edges dotted and labelled."""
    ids = {START: "__start__", END: "__end__", **{name: f"n_{name}".replace("-", "_") for name in spec.nodes}}
    lines = ["flowchart TD", f"  {ids[START]}([START])", f"  {ids[END]}([END])"]
    lines += [f'  {ids[name]}["{name}<br/><i>{node.kind}</i>"]' for name, node in spec.nodes.items()]
    for source, target, label in labelled_edges(spec):
        arrow = f" -. {label} .-> " if label else " --> "
        lines.append(f"  {ids[source]}{arrow}{ids[target]}")
    return "\n".join(lines) + "\n"


def draw_png(spec: GraphSpec, path: Path) -> Path:
    """Render the graph top-down to a PNG with networkx and matplotlib (offline)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import networkx as nx

    graph = nx.DiGraph()
    graph.add_nodes_from([START, *spec.nodes, END])
    labels: dict[tuple[str, str], str] = {}
    for source, target, label in labelled_edges(spec):
        graph.add_edge(source, target)
        if label:
            labels[(source, target)] = ", ".join(filter(None, [labels.get((source, target)), label]))
    depth = {name: d for d, layer in enumerate(nx.bfs_layers(graph, [START])) for name in layer}
    last = max((d for name, d in depth.items() if name != END), default=0) + 1
    for name in graph.nodes:
        graph.nodes[name]["layer"] = last if name == END else depth.get(name, last)
    positions = {n: (x, -y) for n, (y, x) in nx.multipartite_layout(graph, subset_key="layer").items()}
    widest = max(Counter(layer for _, layer in graph.nodes(data="layer")).values())
    figure, axes = plt.subplots(figsize=(max(6.0, 1.8 * widest), 1.6 * (last + 1)))
    colors = ["#bfb6fc" if n in (START, END) else "#f2f0ff" for n in graph.nodes]
    node_labels = {n: n if n in (START, END) else f"{n}\n({spec.nodes[n].kind})" for n in graph.nodes}
    nx.draw_networkx_nodes(graph, positions, node_color=colors, node_size=2600, edgecolors="#555", ax=axes)
    nx.draw_networkx_labels(graph, positions, labels=node_labels, font_size=8, ax=axes)
    nx.draw_networkx_edges(graph, positions, node_size=2600, arrowsize=14, connectionstyle="arc3,rad=0.12", ax=axes)
    nx.draw_networkx_edge_labels(graph, positions, edge_labels=labels, font_size=7, ax=axes)
    axes.set_title(f"{spec.name} (v{spec.version})")
    axes.axis("off")
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
    return path

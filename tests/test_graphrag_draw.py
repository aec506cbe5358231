"""Drawing a knowledge graph (PNG, self-contained HTML) and exporting it as GraphML."""

from __future__ import annotations

import re
from pathlib import Path

import networkx as nx
import pytest
from matplotlib.image import imread
from test_graphrag_communities import corpus, node, ring_of_cliques

from agentkit.errors import ConfigError
from agentkit.graphrag.assemble import assemble
from agentkit.graphrag.communities import Community, detect_communities
from agentkit.graphrag.draw import ALONE, CHUNK_COLOR, colours, draw_png, export_graphml, view, write_html


@pytest.fixture(scope="module")
def built() -> tuple[nx.Graph, list[Community]]:
    graph = assemble(corpus() + ring_of_cliques())
    return graph, detect_communities(graph)


def test_whole_graph_view_is_the_most_mentioned_entities(built: tuple[nx.Graph, list[Community]]) -> None:
    graph, _ = built
    shown = view(graph, top=5)
    assert shown.number_of_nodes() == 5 and all(n.startswith("e:") for n in shown)
    assert node("Ada Lovelace") in shown and node("Kew Gardens") in shown  # two chunks each
    assert shown.nodes[node("Ada Lovelace")]["name"] == "Ada Lovelace"
    # ties are relation weight + shared chunks, as communities see them
    assert shown.edges[node("Ada Lovelace"), node("Analytical Engine")]["weight"] == 3.0


def test_neighbourhood_is_tied_entities_and_chunks_within_two_hops(built: tuple[nx.Graph, list[Community]]) -> None:
    graph, _ = built
    shown = view(graph, node("London"))
    entities = {n for n in shown if n.startswith("e:")}
    chunks = {n for n in shown if n.startswith("c:")}
    # London is named in ada-1 only; its co-mentioned entities and their chunks (2 hops) are drawn
    assert entities == {node(n) for n in ("London", "Ada Lovelace", "Charles Babbage", "Analytical Engine")}
    assert chunks == {"c:ada-1", "c:ada-2", "c:ada-3"}
    assert not any(n.startswith("e:topic") or n == node("Kew Gardens") for n in shown)
    capped = view(graph, node("Ada Lovelace"), top=2)
    assert {n for n in capped if n.startswith("e:")} == {node("Ada Lovelace"), node("Analytical Engine")}
    assert len([n for n in capped if n.startswith("c:")]) <= 8
    assert {"c:ada-1", "c:ada-3"} <= set(capped)  # its own chunks come first


def test_colours_follow_level_zero_communities(built: tuple[nx.Graph, list[Community]]) -> None:
    graph, communities = built
    fill = colours(graph, communities)
    assert fill[node("Ada Lovelace")] == fill[node("Charles Babbage")] != fill[node("Kew Gardens")]
    assert fill[node("Zanzibar")] == ALONE and fill["c:ada-1"] == CHUNK_COLOR
    assert len({fill[node(n)] for n in ("Ada Lovelace", "Kew Gardens", "Topic 05 Alpha")}) == 3


def test_png_of_the_graph_and_of_a_neighbourhood(tmp_path: Path, built: tuple[nx.Graph, list[Community]]) -> None:
    graph, communities = built
    whole = draw_png(graph, communities, tmp_path / "graph.png", top=20)
    focus = draw_png(graph, communities, tmp_path / "ada.png", entity=node("Ada Lovelace"))
    for path in (whole, focus):
        pixels = imread(path)
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and min(pixels.shape[:2]) >= 700
        assert len({tuple(p) for p in pixels[::8, ::8].reshape(-1, pixels.shape[2])}) > 10  # not blank


def test_html_is_self_contained_and_describes_nodes(tmp_path: Path, built: tuple[nx.Graph, list[Community]]) -> None:
    graph, communities = built
    page = write_html(graph, communities, tmp_path / "ada.html", entity=node("Ada Lovelace")).read_text()
    assert not re.search(r"""(src|href)\s*=\s*["']?https?:""", page)  # nothing loaded at view time
    assert page.count("<circle") == 5 and page.count('class="chunk"') == 3
    assert "<title>Ada Lovelace (person)\nchunks: ada-1, ada-3</title>" in page
    assert "neighbourhood of Ada Lovelace: 5 entities, 3 chunks" in page
    assert "Ada Lovelace [ada-1]" in page  # chunk labels carry the id citations use
    community = next(c for c in communities if node("Ada Lovelace") in c.entities)
    assert f"community {community.id}: 1843, Ada Lovelace, Analytical Engine" in page
    whole = write_html(graph, communities, tmp_path / "all.html", top=60).read_text()
    assert whole.count("<circle") == sum(1 for _, kind in graph.nodes(data="kind") if kind == "entity")
    names = set(re.findall(r"<text [^>]*>([^<]*)</text>", whole))
    assert {"Ada Lovelace", "Kew Gardens", "Zanzibar"} <= names


def test_graphml_round_trips_with_joined_lists(tmp_path: Path, built: tuple[nx.Graph, list[Community]]) -> None:
    graph, communities = built
    path = export_graphml(graph, tmp_path / "kg.graphml", communities)
    read = nx.read_graphml(path)
    assert read.number_of_nodes() == graph.number_of_nodes() and read.number_of_edges() == graph.number_of_edges()
    ada = read.nodes[node("Ada Lovelace")]
    assert ada["chunk_ids"] == "ada-1; ada-3" and ada["name"] == "Ada Lovelace" and ada["mentions"] == 2
    assert ada["community"] == next(c.id for c in communities if c.level == 0 and node("Ada Lovelace") in c.entities)
    relation = read.edges[node("Ada Lovelace"), node("Charles Babbage")]
    assert relation["kind"] == "relation" and relation["chunk_ids"] == "ada-1" and relation["weight"] == 2.0
    assert len(re.findall(r'attr.name="weight"', path.read_text())) == 1  # one type for every weight
    assert "community" not in read.nodes["c:ada-1"]


def test_bad_requests_are_clear_errors(tmp_path: Path, built: tuple[nx.Graph, list[Community]]) -> None:
    graph, communities = built
    with pytest.raises(ConfigError, match="'e:nobody' is not an entity of this graph"):
        draw_png(graph, communities, tmp_path / "x.png", entity="e:nobody")
    with pytest.raises(ConfigError, match="'c:ada-1' is not an entity"):
        write_html(graph, communities, tmp_path / "x.html", entity="c:ada-1")
    with pytest.raises(ConfigError, match="(?s)no entities to draw.*agentkit kg build"):
        write_html(nx.Graph(), [], tmp_path / "x.html")
    with pytest.raises(ConfigError, match="top must be at least 1"):
        view(graph, top=0)
    with pytest.raises(ConfigError, match="is a folder; give the path of a file"):
        draw_png(graph, communities, tmp_path)
    assert not list(tmp_path.iterdir()) and not tmp_path.with_suffix(".png").exists()  # nothing written

"""Communities of the entity graph (Leiden and the Louvain fallback) and their reports."""

from __future__ import annotations

import sys
from pathlib import Path

import networkx as nx
import pytest

from agentkit.graphrag.assemble import assemble
from agentkit.graphrag.communities import Community, detect_communities, entity_graph, top_level
from agentkit.graphrag.reports import (CommunityReport, build_reports, extractive_report, llm_report, renumbered,
                                        report_key)
from agentkit.graphrag.types import ChunkExtraction, EntityMention, RelationMention, entity_node

METHODS = ["leiden", "louvain"]

TEXTS = {
    "ada-1": "Ada Lovelace worked with Charles Babbage on the Analytical Engine. She was born in London. "
             "The weather was mild.",
    "ada-2": "Charles Babbage designed the Difference Engine and the Analytical Engine.",
    "ada-3": "Ada Lovelace published notes on the Analytical Engine in 1843.",
    "kew-1": "Kew Gardens holds the Palm House, built by Decimus Burton. Joseph Hooker directed Kew Gardens.",
    "kew-2": "Joseph Hooker collected plants in Sikkim and sent them to Kew Gardens.",
    "solo-1": "Zanzibar is an island.",
}


def mention(name: str, kind: str = "concept", count: int = 1, title: bool = False) -> EntityMention:
    return EntityMention(name=name, type=kind, count=count, title=title)


def corpus() -> list[ChunkExtraction]:
    """Two topics (computing pioneers, a botanic garden) and an entity no other shares a chunk with."""
    return [
        ChunkExtraction(chunk_id="ada-1", doc_id="ada", title="Ada Lovelace", entities=[
            mention("Ada Lovelace", "person", 1, True), mention("Charles Babbage", "person"),
            mention("Analytical Engine", "work"), mention("London", "place")],
            relations=[RelationMention(source="Ada Lovelace", target="Charles Babbage", description="worked with",
                                       weight=2.0),
                       RelationMention(source="Ada Lovelace", target="London", description="born in")]),
        ChunkExtraction(chunk_id="ada-2", doc_id="ada", title="Ada Lovelace", entities=[
            mention("Charles Babbage", "person"), mention("Difference Engine", "work"),
            mention("Analytical Engine", "work")],
            relations=[RelationMention(source="Charles Babbage", target="Difference Engine", description="designed"),
                       RelationMention(source="Charles Babbage", target="Analytical Engine", description="designed")]),
        ChunkExtraction(chunk_id="ada-3", doc_id="ada", title="Ada Lovelace", entities=[
            mention("Ada Lovelace", "person", 1, True), mention("Analytical Engine", "work"), mention("1843", "date")],
            relations=[RelationMention(source="Ada Lovelace", target="Analytical Engine", description="notes on")]),
        ChunkExtraction(chunk_id="kew-1", doc_id="kew", title="Kew Gardens", entities=[
            mention("Kew Gardens", "place", 2, True), mention("Palm House", "place"),
            mention("Decimus Burton", "person"), mention("Joseph Hooker", "person")],
            relations=[RelationMention(source="Decimus Burton", target="Palm House", description="built"),
                       RelationMention(source="Joseph Hooker", target="Kew Gardens", description="directed")]),
        ChunkExtraction(chunk_id="kew-2", doc_id="kew", title="Kew Gardens", entities=[
            mention("Joseph Hooker", "person"), mention("Sikkim", "place"), mention("Kew Gardens", "place")],
            relations=[RelationMention(source="Joseph Hooker", target="Sikkim", description="collected plants in")]),
        ChunkExtraction(chunk_id="solo-1", doc_id="solo", title="", entities=[mention("Zanzibar", "place")]),
    ]


def ring_of_cliques(cliques: int = 12) -> list[ChunkExtraction]:
    """`cliques` triangles of co-mentioned entities, each tied to the next by one chunk: modularity
    merges neighbouring triangles, so a small max_cluster_size must split them a level down."""
    found = []
    for i in range(cliques):
        names = [f"Topic {i:02d} {part}" for part in ("Alpha", "Beta", "Gamma")]
        found.append(ChunkExtraction(chunk_id=f"t{i:02d}", doc_id=f"d{i:02d}", entities=[mention(n) for n in names]))
        following = f"Topic {(i + 1) % cliques:02d} Alpha"
        found.append(ChunkExtraction(chunk_id=f"l{i:02d}", doc_id=f"d{i:02d}",
                                     entities=[mention(names[2]), mention(following)]))
    return found


def node(name: str) -> str:
    return entity_node(name.casefold())


def test_entity_graph_weights_are_relations_plus_shared_chunks() -> None:
    entities = entity_graph(assemble(corpus()))
    assert all(n.startswith("e:") for n in entities)
    # related with weight 2 in ada-1, and both named in ada-1 only
    assert entities.edges[node("Ada Lovelace"), node("Charles Babbage")]["weight"] == 3.0
    # a relation in ada-2 plus co-mention in ada-1 and ada-2
    assert entities.edges[node("Charles Babbage"), node("Analytical Engine")]["weight"] == 3.0
    # never related, co-mentioned once
    assert entities.edges[node("London"), node("Analytical Engine")]["weight"] == 1.0
    assert entities.degree(node("Zanzibar")) == 0


@pytest.mark.parametrize("method", METHODS)
def test_topics_become_separate_communities(method: str) -> None:
    graph = assemble(corpus())
    communities = detect_communities(graph, method=method)
    level0 = [c for c in communities if c.level == 0]
    owner = top_level(communities)
    assert sorted(owner) == sorted(n for n, kind in graph.nodes(data="kind") if kind == "entity")
    assert sum(len(c.entities) for c in level0) == len(owner)  # each entity in exactly one
    computing = {owner[node(n)] for n in ("Ada Lovelace", "Charles Babbage", "Analytical Engine", "Difference Engine")}
    garden = {owner[node(n)] for n in ("Kew Gardens", "Joseph Hooker", "Sikkim", "Palm House", "Decimus Burton")}
    assert len(computing) == 1 and len(garden) == 1 and computing != garden
    alone = next(c for c in communities if node("Zanzibar") in c.entities)
    assert alone.entities == [node("Zanzibar")] and alone.chunk_ids == ["solo-1"]
    ada = next(c for c in level0 if c.id in computing)
    assert ada.chunk_ids == ["ada-1", "ada-2", "ada-3"]


@pytest.mark.parametrize("method", METHODS)
def test_large_communities_split_a_level_down(method: str) -> None:
    graph = assemble(ring_of_cliques())
    communities = detect_communities(graph, max_cluster_size=4, method=method)
    by_id = {c.id: c for c in communities}
    levels = {c.level for c in communities}
    assert levels == {0, 1}
    assert all(c.parent is None for c in communities if c.level == 0)
    children = [c for c in communities if c.level == 1]
    for child in children:
        parent = by_id[child.parent]
        assert parent.level == 0 and len(parent.entities) > 4
        assert set(child.entities) < set(parent.entities)
        assert len(child.entities) <= 4
    for parent in {c.parent for c in children}:  # the children of a split community partition it
        parts = [set(c.entities) for c in children if c.parent == parent]
        whole = by_id[parent].entities
        assert set().union(*parts) == set(whole) and sum(map(len, parts)) == len(whole)
    triangle = {node(f"Topic 05 {p}") for p in ("Alpha", "Beta", "Gamma")}
    assert any(triangle <= set(c.entities) for c in children + [c for c in communities if len(c.entities) <= 4])


@pytest.mark.parametrize("method", METHODS)
def test_same_seed_same_communities(method: str) -> None:
    graph = assemble(ring_of_cliques() + corpus())
    first = detect_communities(graph, seed=7, max_cluster_size=4, method=method)
    again = detect_communities(assemble(list(reversed(ring_of_cliques() + corpus()))), seed=7,
                               max_cluster_size=4, method=method)
    assert [c.model_dump() for c in first] == [c.model_dump() for c in again]


def test_without_graspologic_native_louvain_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    graph = assemble(ring_of_cliques())
    monkeypatch.setitem(sys.modules, "graspologic_native", None)  # the import now fails
    fallback = detect_communities(graph, max_cluster_size=4)
    assert fallback == detect_communities(graph, max_cluster_size=4, method="louvain")
    assert {c.level for c in fallback} == {0, 1}


def test_no_entities_no_communities_and_bad_size() -> None:
    assert detect_communities(nx.Graph()) == []
    with pytest.raises(ValueError, match="max_cluster_size"):
        detect_communities(assemble(corpus()), max_cluster_size=0)


# --- reports ---------------------------------------------------------------------------


def computing_report(method: str = "leiden") -> tuple[nx.Graph, Community, CommunityReport]:
    graph = assemble(corpus())
    community = next(c for c in detect_communities(graph, method=method) if node("Ada Lovelace") in c.entities)
    return graph, community, extractive_report(graph, community, TEXTS)


def test_report_cites_a_chunk_for_every_sentence_and_relation() -> None:
    graph, community, report = computing_report()
    assert report.community == community.id and report.level == 0
    assert report.entities[0][0] in {"Ada Lovelace", "Charles Babbage", "Analytical Engine"}
    assert [score for _, score in report.entities] == sorted((s for _, s in report.entities), reverse=True)
    assert report.relations and report.sentences
    for relation in report.relations:
        assert relation.chunk_ids
        for chunk_id in relation.chunk_ids:  # the cited chunk mentions both ends
            mentioned = {graph.nodes[n]["name"] for n in graph[f"c:{chunk_id}"]}
            assert {relation.source, relation.target} <= mentioned
    assert report.relations[0].source == "Ada Lovelace" and report.relations[0].target == "Charles Babbage"
    for text, chunk_id in report.sentences:
        assert chunk_id in community.chunk_ids and text in TEXTS[chunk_id]
    sentences = [text for text, _ in report.sentences]
    assert "The weather was mild." not in sentences  # names no entity of the community
    assert sentences[0] == "Ada Lovelace worked with Charles Babbage on the Analytical Engine."
    cited = {c for r in report.relations for c in r.chunk_ids} | {c for _, c in report.sentences}
    assert set(report.chunk_ids) == cited


def test_report_summary_is_a_compact_cited_text() -> None:
    _, community, report = computing_report()
    lines = report.summary.splitlines()
    assert lines[0] == f"# {report.title}" and "Ada Lovelace" in report.title
    assert f"Community {community.id} (level 0)" in lines[1]
    assert lines[2].startswith("Entities: ") and "Ada Lovelace (person)" in lines[2]
    assert "- Ada Lovelace — Charles Babbage: worked with [ada-1]" in lines
    assert "- Ada Lovelace worked with Charles Babbage on the Analytical Engine. [ada-1]" in lines
    assert 3 <= len(report.sentences) <= 5


def test_reports_skip_singletons_and_rank_by_evidence() -> None:
    graph = assemble(corpus())
    communities = detect_communities(graph)
    reports = build_reports(graph, communities, TEXTS)
    assert {r.community for r in reports} == {c.id for c in communities if len(c.entities) > 1}
    assert [r.rank for r in reports] == sorted((r.rank for r in reports), reverse=True)
    assert "Ada Lovelace" in reports[0].title  # 3 chunks and relation weight 6, against 2 and 3


def test_missing_chunk_texts_are_not_quoted() -> None:
    graph = assemble(corpus())
    community = next(c for c in detect_communities(graph) if node("Ada Lovelace") in c.entities)
    report = extractive_report(graph, community, {"ada-2": TEXTS["ada-2"]})
    assert {c for _, c in report.sentences} == {"ada-2"}
    assert report.relations  # relations come from the graph, not the texts


def test_quoted_sentences_are_whole_prose_on_one_line() -> None:
    graph = assemble(corpus())
    community = next(c for c in detect_communities(graph) if node("Ada Lovelace") in c.entities)
    markdown = ("with Charles Babbage and Ada Lovelace, a fragment cut by chunking.\n"
                "# Ada Lovelace and Charles Babbage\n"
                "```yaml\nAda Lovelace: Charles Babbage's Analytical Engine.\n```\n"
                "- Ada Lovelace met Charles Babbage\n  in London in 1833.\n"
                "- Ada Lovelace, Charles Babbage, Analytical Engine, London and 1843 were")
    report = extractive_report(graph, community, {"ada-1": markdown})
    assert report.sentences == [("Ada Lovelace met Charles Babbage in London in 1833.", "ada-1")]


def test_report_round_trips_through_json() -> None:
    _, _, report = computing_report("louvain")
    assert CommunityReport.model_validate_json(report.model_dump_json()) == report


@pytest.mark.model
def test_llm_report_keeps_the_cited_parts(model_cache: Path) -> None:
    from agentkit.models import LocalChatModel

    _, _, report = computing_report()
    written = llm_report(report, LocalChatModel(max_tokens=160))
    assert written.title and written.summary.startswith(f"# {written.title}\n")
    overview = written.summary.splitlines()[1]
    assert len(overview) >= 10 and overview not in report.summary
    for text, chunk_id in report.sentences:
        assert f"- {text} [{chunk_id}]" in written.summary
    assert written.model_dump(exclude={"title", "summary"}) == report.model_dump(exclude={"title", "summary"})


def test_a_cached_report_renumbered_equals_the_report_written_fresh() -> None:
    graph, community, report = computing_report()
    moved = community.model_copy(update={"id": "2.7", "level": 2})
    cached = CommunityReport.model_validate_json(report.model_dump_json())
    assert renumbered(cached, moved) == extractive_report(graph, moved, TEXTS)
    digests = {c: "x" for c in community.chunk_ids}
    key = report_key(community, {}, digests)
    assert key == report_key(moved, {}, digests)  # ids and levels are not part of it
    assert key != report_key(community, {community.entities[0]: ["an alias"]}, digests)
    assert key != report_key(community, {}, digests | {community.chunk_ids[0]: "re-extracted"})

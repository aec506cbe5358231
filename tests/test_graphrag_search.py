"""GraphRAG search on a real graph (lexical extractor, MiniLM embeddings, SmolLM2 for
global search): entity linking, local personalized PageRank finding the bridge passage of
a two-hop question that hybrid search misses, hybrid fusion, the no-entity fallback, and
map-reduce over community reports."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentkit.graphrag.global_search import GlobalConfig, global_search, rank_reports
from agentkit.graphrag.knowledge_graph import load_knowledge_graph
from agentkit.graphrag.lexical import LexicalExtractor
from agentkit.graphrag.local_search import NO_ENTITY, GraphSearcher, SearchConfig, open_searcher
from agentkit.graphrag.workspace import update_store_graph
from agentkit.models import get_chat_model
from agentkit.models.config import ChatModelConfig
from agentkit.rag.config import StoreConfig
from agentkit.rag.document_index import DocumentIndex
from agentkit.rag.open import open_index

# A fictional two-hop corpus: the film's page names its director, the director's page says
# where she was born; three distractors share the question's words ("director", "born",
# "glass", "harbor") without being about the film.
FILMS = {
    "glass_harbor.md": "# Glass Harbor\n\nGlass Harbor is a 1998 drama film directed by Mirela Vostok. "
                       "The film follows a lighthouse keeper on a northern island.\n",
    "mirela.md": "# Mirela Vostok\n\nMirela Vostok is a filmmaker born in the port city of Tarnow Bay. "
                 "She studied painting before turning to cinema.\n",
    "harbor_lights.md": "# Harbor Lights\n\nHarbor Lights is a 2003 film. Its director was born in a small "
                        "glass-making town and shot it in one harbor.\n",
    "oskar.md": "# Oskar Lind\n\nOskar Lind is a director born in Malmo who made films about glass workers "
                "in the harbor.\n",
    "glass_blowing.md": "# Glass Blowing\n\nGlass blowing was born in ancient harbor towns, where the director "
                        "of each workshop trained apprentices.\n",
}
QUESTION = "Where was the director of Glass Harbor born?"


def build_film_graph(workspace: Path, name: str = "films") -> StoreConfig:
    """Index FILMS into store `name` and build its knowledge graph (lexical extractor)."""
    config = StoreConfig(name=name)
    folder = workspace / name
    folder.mkdir(exist_ok=True)
    for file, text in FILMS.items():
        (folder / file).write_text(text, encoding="utf-8")
    index = open_index(config, workspace)
    try:
        index.index([folder], workspace)
    finally:
        index.store.close()
    update_store_graph(config, workspace, LexicalExtractor())
    return config


@pytest.fixture
def films(workspace: Path) -> tuple[StoreConfig, DocumentIndex, GraphSearcher]:
    config = build_film_graph(workspace)
    index = open_index(config, workspace)
    _, searcher = open_searcher(config, workspace, index)
    return config, index, searcher


def titles(hits: list) -> list[str]:
    return [hit.chunk.title for hit in hits]


def test_linking_finds_names_and_rare_surnames_not_stopwords(films: tuple) -> None:
    _, _, searcher = films
    exact = searcher.linker.link(QUESTION)
    assert [(e.name, e.method, e.score) for e in exact] == [("Glass Harbor", "exact", 1.0)]
    partial = searcher.linker.link("what did vostok study?")
    assert [(e.name, e.method) for e in partial] == [("Mirela Vostok", "partial")]
    assert searcher.linker.link("where was it of the") == []


def test_local_search_finds_the_bridge_passage_hybrid_search_misses(films: tuple) -> None:
    _, index, searcher = films
    plain = index.search(QUESTION, mode="hybrid", k=3)
    assert "Mirela Vostok" not in titles(plain)  # the distractors share more of the question's words
    result = searcher.local(QUESTION, k=2)
    assert titles(result.hits) == ["Glass Harbor", "Mirela Vostok"] and result.fallback is None
    assert all(hit.scores["ppr"] > 0 for hit in result.hits)
    bridge = result.hits[1].chunk.id
    director = next(e for e in result.entities if e.name == "Mirela Vostok")
    assert bridge in director.chunk_ids and len(director.chunk_ids) == 2  # named by both passages
    stated = {frozenset((r.source, r.target)): r.chunk_ids for r in result.relations}
    assert stated[frozenset(("Mirela Vostok", "Tarnow Bay"))] == [bridge]
    assert f"[chunks: {bridge}]" in result.context_text()


def test_hybrid_search_fuses_graph_and_store_rankings(films: tuple) -> None:
    _, index, searcher = films
    result = searcher.hybrid(QUESTION, k=5)
    assert "Mirela Vostok" in titles(result.hits) and len(result.hits) == 5
    top = result.hits[0]
    assert top.chunk.title == "Glass Harbor" and {"graph", "hybrid", "rrf"} <= set(top.scores)
    assert [h.score for h in result.hits] == sorted((h.score for h in result.hits), reverse=True)


def test_a_query_naming_no_entity_falls_back_to_hybrid_search(films: tuple) -> None:
    _, index, searcher = films
    question = "which workshop trained apprentices?"
    result = searcher.local(question, k=3)
    assert result.fallback == NO_ENTITY and result.linked == []
    assert [h.chunk.id for h in result.hits] == [h.chunk.id for h in index.search(question, mode="hybrid", k=3)]
    assert searcher.hybrid(question, k=2).fallback == NO_ENTITY


def test_dense_seeds_are_optional(films: tuple) -> None:
    _, index, searcher = films
    lexical_only = GraphSearcher(searcher.graph, index, SearchConfig(dense_seeds=0))
    assert titles(lexical_only.local(QUESTION, k=2).hits) == ["Glass Harbor", "Mirela Vostok"]


def test_the_searcher_reloads_a_rebuilt_graph(films: tuple, workspace: Path) -> None:
    config, index, searcher = films
    assert open_searcher(config, workspace, index)[1] is searcher  # loaded once per process
    (workspace / "films" / "tarnow.md").write_text(
        "# Tarnow Bay\n\nTarnow Bay is a port city known for the Vostok Glassworks.\n", encoding="utf-8")
    index.index([workspace / "films"], workspace)
    update_store_graph(config, workspace, LexicalExtractor())
    _, rebuilt = open_searcher(config, workspace, index)
    assert rebuilt is not searcher
    assert "Tarnow Bay" in titles(rebuilt.local("What is Tarnow Bay known for?", k=1).hits)


def test_reports_are_preranked_by_the_question_words(films: tuple, workspace: Path) -> None:
    config, _, _ = films
    reports = load_knowledge_graph(config, workspace).reports
    assert len(reports) >= 2
    ranked = rank_reports("Tarnow Bay", reports, GlobalConfig(max_reports=1))
    assert len(ranked) == 1 and "Tarnow Bay" in ranked[0].summary
    assert len(rank_reports("what are the main themes?", reports, GlobalConfig(max_reports=2))) == 2


def test_global_search_maps_reports_and_reduces_with_the_local_model(films: tuple, workspace: Path) -> None:
    config, _, _ = films
    kg = load_knowledge_graph(config, workspace)
    model = get_chat_model(ChatModelConfig(provider="local", max_tokens=96))
    settings = GlobalConfig(max_reports=2, best=2, map_chars=160, reduce_tokens=48)
    result = global_search("Who directed Glass Harbor?", kg.reports, model, settings)
    assert len(result.read) == 2 and set(result.read) <= {r.community for r in kg.reports}
    assert result.answer.strip()
    chunk_ids = {data["kind"] == "chunk" and node[2:] for node, data in kg.graph.nodes(data=True)} - {False}
    for point in result.points:  # score 0 was dropped; each kept answer cites its report's chunks
        assert 1 <= point.score <= 100 and point.answer and set(point.chunk_ids) <= chunk_ids
    if result.points:
        assert result.sources().startswith("[1] community ")

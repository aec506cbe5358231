"""The `graph_retrieve` node in compiled YAML graphs: local search traced into a real Phoenix
as a RETRIEVER span carrying the linked entities (or the fallback), graphs/graph_rag.yaml and
graphs/graph_rag_global.yaml with the local model, and the graph_search tool."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Callable

import pytest

from agentkit import load_graph
from agentkit.engine.registry import registry
from agentkit.errors import ConfigError
from agentkit.observability.tracing import disable_tracing, enable_tracing, flush_traces
from conftest import REPO
from phoenix_server import fetch_spans
from test_graphrag_search import QUESTION, build_film_graph

GRAPH = """
    name: graph_local
    input: question
    output: context
    state:
      question: str
      documents: list[document]
      context: str
    resources:
      films: {kind: store, name: films}
    nodes:
      find: {kind: graph_retrieve, store: films, mode: local, k: 2}
    edges: [[START, find], [find, END]]
    """


def test_local_retrieval_is_a_retriever_span_with_the_linked_entities(
    workspace: Path, write_graph: Callable[..., Path], phoenix_server: str
) -> None:
    build_film_graph(workspace)
    graph = load_graph(write_graph(GRAPH))
    assert enable_tracing("agentkit-test-graph-retrieve", phoenix_server)
    try:
        linked = graph.invoke({"question": QUESTION})
        fallback = graph.invoke({"question": "which workshop trained apprentices?"})
        assert flush_traces()
        spans = fetch_spans(phoenix_server, "agentkit-test-graph-retrieve", count=4)
    finally:
        disable_tracing()
    assert [d.metadata["title"] for d in linked["documents"]] == ["Glass Harbor", "Mirela Vostok"]
    assert all(d.metadata["id"] and d.metadata["doc_id"] for d in linked["documents"])
    assert "Mirela Vostok -- Tarnow Bay" in linked["context"] or "Tarnow Bay -- Mirela Vostok" in linked["context"]
    assert len(fallback["documents"]) == 2 and fallback["context"] == ""
    retrievals = sorted((s for s in spans if s["span_kind"] == "RETRIEVER"), key=lambda s: s["start_time"])
    assert len(retrievals) == 2
    first, second = (s["attributes"] for s in retrievals)
    assert first["graphrag.linked_entities"] == ["Glass Harbor"] and first["graphrag.fallback"] == ""
    assert first["graphrag.mode"] == "local" and first["input.value"] == QUESTION
    assert first["retrieval.documents.1.document.metadata.id"] == linked["documents"][1].metadata["id"]
    assert "no entity of the query is in the graph" in second["graphrag.fallback"]
    assert "graphrag.linked_entities" not in second or list(second["graphrag.linked_entities"]) == []
    nodes = {s["context"]["span_id"] for s in spans if s["name"] == "find"}
    assert {s["parent_id"] for s in retrievals} <= nodes  # each search under its node's span


def test_a_store_without_a_graph_says_how_to_build_it(workspace: Path, write_graph: Callable[..., Path]) -> None:
    graph = load_graph(write_graph(GRAPH))
    with pytest.raises(ConfigError, match=r"store 'films' has no knowledge graph yet[\s\S]*agentkit kg build --store films"):
        graph.invoke({"question": QUESTION})


@pytest.fixture
def docs_graphs(workspace: Path) -> Path:
    """graphs/graph_rag*.yaml copied into a workspace whose `docs` store holds the film corpus."""
    build_film_graph(workspace, name="docs")
    (workspace / "graphs").mkdir()
    for name in ("graph_rag.yaml", "graph_rag_global.yaml"):
        shutil.copy(REPO / "graphs" / name, workspace / "graphs" / name)
    return workspace / "graphs"


def test_graph_rag_answers_a_two_hop_question_citing_graph_found_chunks(docs_graphs: Path) -> None:
    state = load_graph(docs_graphs / "graph_rag.yaml").invoke({"question": QUESTION})
    titles = [d.metadata["title"] for d in state["documents"]]
    assert "Mirela Vostok" in titles and "Glass Harbor" in titles  # the graph found the bridge
    ids = {d.metadata["id"] for d in state["documents"]}
    assert {c["id"] for c in state["citations"]} <= ids
    assert "Sources:" in state["answer"] or state["answer"].startswith("The documents do not")
    assert "[chunks: " in state["context"]


def test_graph_rag_global_combines_community_reports_with_sources(docs_graphs: Path) -> None:
    state = load_graph(docs_graphs / "graph_rag_global.yaml").invoke(
        {"question": "Which films and filmmakers do these documents describe?"})
    assert state["answer"].strip()
    for document in state["documents"]:  # the partial answers kept (helpfulness > 0), with their chunks
        assert document.metadata["id"].startswith("community:") and document.metadata["chunk_ids"]
        assert 1 <= document.metadata["score"] <= 100
    if state["documents"]:
        assert "\n\nSources:\n[1] community " in state["answer"] and state["context"].startswith("[1] community ")


def test_graph_search_is_a_workspace_tool(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    build_film_graph(workspace, name="docs")
    (workspace / "tools").mkdir()
    shutil.copy(REPO / "tools" / "graph_search.py", workspace / "tools")
    tool = registry.tools(workspace)["graph_search"]
    found = tool.invoke({"query": QUESTION, "k": 2, "mode": "local"})
    assert "Mirela Vostok is a filmmaker born in the port city of Tarnow Bay." in found
    assert "Entities and relations:" in found and "[chunks: " in found
    assert "(no entity of the query is in the graph" in tool.invoke({"query": "which workshop?", "k": 1})
    monkeypatch.setenv("AGENTKIT_DOCS_STORE", "nothing")
    assert "has no knowledge graph yet" in tool.invoke({"query": QUESTION})

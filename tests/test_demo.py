"""`make demo`'s questions, asked the way the demo asks them, get right answers with the
real local model (the tool_agent ones are in tests/test_ask.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from agentkit import run_graph
from agentkit.cli.demo import (CHAT_TURNS, MULTIHOP_CORPUS, MULTIHOP_QUESTION, RAG_QUESTIONS, ROUTER_QUESTIONS,
                               RUDE_MESSAGE, serve_demo)
from agentkit.graphrag.lexical import LexicalExtractor
from agentkit.graphrag.workspace import update_store_graph
from agentkit.rag.config import StoreConfig
from agentkit.rag.grounding import ABSTAIN
from agentkit.rag.open import open_index

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.model


@pytest.fixture
def demo_workspace(workspace: Path) -> Path:
    """The repository's graphs, prompts, tools, docs and fictional corpus, as `make demo` sees them."""
    for folder in ("graphs", "prompts", "tools", "docs"):
        shutil.copytree(REPO / folder, workspace / folder)
    (workspace / MULTIHOP_CORPUS).parent.mkdir(parents=True)
    shutil.copy(REPO / MULTIHOP_CORPUS, workspace / MULTIHOP_CORPUS)
    return workspace


def test_router_demo_answers_both_demo_questions(demo_workspace: Path) -> None:
    math, general = (run_graph(demo_workspace / "graphs" / "router_demo.yaml", q, trace=False)
                     for q in ROUTER_QUESTIONS)
    assert (math.state["route"], math.answer) == ("math", "12 * 7 = 84")
    assert (general.state["route"], general.answer) == ("general", "The capital of France is Paris.")


def test_chat_demo_recalls_the_name_it_was_told(demo_workspace: Path) -> None:
    first = run_graph(demo_workspace / "graphs" / "chat.yaml", CHAT_TURNS[0], trace=False)
    second = run_graph(demo_workspace / "graphs" / "chat.yaml", CHAT_TURNS[1], thread_id=first.thread_id, trace=False)
    assert "Ana" in first.answer and "Your name is Ana" in second.answer


def test_rag_demo_answers_from_the_docs_and_the_two_hop_corpus(demo_workspace: Path) -> None:
    index = open_index(StoreConfig(name="docs"), demo_workspace)
    try:
        index.index([demo_workspace / "docs", demo_workspace / MULTIHOP_CORPUS], demo_workspace)
    finally:
        index.store.close()
    update_store_graph(StoreConfig(name="docs"), demo_workspace, LexicalExtractor())
    graphs = demo_workspace / "graphs"

    stored, unknown = (run_graph(graphs / "self_rag.yaml", q, trace=False) for q in RAG_QUESTIONS)
    # the file's name from the cited chunk (the folder is not always kept: with docs/serving.md in the
    # store, the answer also draws on docs/finetune.md's training checkpoints)
    assert "checkpoints.sqlite" in stored.answer and "docs/graphs.md (chunk " in stored.answer
    assert unknown.answer == ABSTAIN

    two_hop = run_graph(graphs / "graph_rag.yaml", MULTIHOP_QUESTION, trace=False)
    assert [d.metadata["title"] for d in two_hop.state["documents"]] == ["The Glass Orchard", "Mireille Varga"]
    assert "Mireille Varga" in two_hop.answer and "Kestrel Bay" in two_hop.answer
    assert two_hop.state["grounding"] >= 0.8


def test_tone_demo_rewrite_passes_the_tone_check(demo_workspace: Path) -> None:
    result = run_graph(demo_workspace / "graphs" / "tone.yaml", RUDE_MESSAGE, trace=False)
    assert not result.state["tone"].get("failed") and "hell" not in result.answer.lower()
    assert "server" in result.answer.lower() and result.answer != RUDE_MESSAGE


def test_serve_demo_calls_the_server_and_shows_the_calls_telemetry(demo_workspace: Path) -> None:
    shown = serve_demo(demo_workspace)
    assert shown["curl"]["choices"][0]["message"]["content"] and shown["curl"]["usage"]["completion_tokens"] > 0
    assert shown["tool_calls"] == ['calculator({"expression": "12 * 7"})']
    by_model = {s.group: s for s in shown["stats"]}
    assert by_model["smollm2-135m"].calls == 1 and by_model["smollm2-135m:tool_calls"].calls == 1

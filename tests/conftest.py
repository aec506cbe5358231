"""Shared fixtures: graph files in a temporary workspace, a scripted chat model."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Callable

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel

REPO = Path(__file__).resolve().parents[1]
pytest_plugins = ["phoenix_server"]


@pytest.fixture(autouse=True)
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test runs in its own workspace (checkpoints, tools/) under tmp_path."""
    monkeypatch.setenv("AGENTKIT_WORKSPACE", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def write_graph(workspace: Path) -> Callable[..., Path]:
    """Write dedented YAML to `<workspace>/graphs/<name>` and return its path."""

    def write(text: str, name: str = "graph.yaml") -> Path:
        path = workspace / "graphs" / name
        path.parent.mkdir(exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return write


@pytest.fixture
def scripted_llm() -> Callable[..., FakeListChatModel]:
    """A fake chat model answering from a list, for control-flow tests."""
    return lambda *answers: FakeListChatModel(responses=list(answers))

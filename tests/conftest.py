"""Shared fixtures: graph files in a temporary workspace, a scripted chat model."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Callable, Iterator

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from agentkit.models.gguf_cache import CACHE_ENV

REPO = Path(__file__).resolve().parents[1]
pytest_plugins = ["phoenix_server", "serve_process"]


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


@pytest.fixture(scope="session", autouse=True)
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One agentkit cache dir for the whole session (the GGUF is converted once), so
    tests never write to the user's ~/.cache; subprocesses inherit it from the env."""
    path = tmp_path_factory.getbasetemp() / "agentkit-cache"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(CACHE_ENV, str(path))
        yield path


@pytest.fixture
def scripted_llm() -> Callable[..., FakeListChatModel]:
    """A fake chat model answering from a list, for control-flow tests."""
    return lambda *answers: FakeListChatModel(responses=list(answers))

"""Bad output paths for `agentkit kg show --png/--html` and `kg export --graphml`: one clear
sentence, exit 1, and nothing written anywhere (no `FOLDER.png` beside a folder)."""

from __future__ import annotations

from pathlib import Path

import pytest
from harness import assert_clear_failure, run_cli, tree_digest

NOTES = ("# Ada Lovelace\nAda Lovelace worked with Charles Babbage on the Analytical Engine in London. "
         "Charles Babbage designed the Difference Engine.\n")


@pytest.fixture(scope="module")
def built_once(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace with store `kb` and its knowledge graph (lexical), and a folder `out/`."""
    from agentkit.graphrag.extractors import make_extractor
    from agentkit.graphrag.workspace import update_store_graph
    from agentkit.rag.options import store_options

    folder = tmp_path_factory.mktemp("kg-draw")
    (folder / "notes.md").write_text(NOTES, encoding="utf-8")
    (folder / "out").mkdir()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AGENTKIT_WORKSPACE", str(folder))
        patch.chdir(folder)
        assert run_cli("index", "notes.md", "--store", "kb").exit_code == 0
        update_store_graph(store_options("kb"), folder, make_extractor("lexical", None, None, folder))
    return folder


@pytest.fixture
def built(built_once: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("AGENTKIT_WORKSPACE", str(built_once))
    monkeypatch.chdir(built_once)
    return built_once


@pytest.mark.parametrize("args", [
    ["kg", "show", "--store", "kb", "--png", "out"],
    ["kg", "show", "--store", "kb", "--html", "out"],
    ["kg", "show", "--store", "kb", "--entity", "Ada Lovelace", "--png", "out"],
    ["kg", "export", "--store", "kb", "--graphml", "out"],
])
def test_a_folder_as_the_output_file(built: Path, args: list[str]) -> None:
    before = tree_digest(built)
    outcome = run_cli(*args)
    assert_clear_failure(outcome, 1, "out is a folder; give the path of a file inside it")
    assert tree_digest(built) == before

"""What an import loads: langchain-community is an optional extra (it warns that it is
being sunset), so nothing on the core import path loads it and indexing plain files works
without it; the lower layers (models, rag) load neither the engine nor LangGraph."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

CORE = ["agentkit", "agentkit.cli.app", "agentkit.rag.indexing", "agentkit.rag.loaders",
        "agentkit.rag.langchain_loaders", "agentkit.engine.compiler", "agentkit.nodes", "agentkit.evals.suite"]


def _python(code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=cwd, timeout=300,
                          env={**os.environ, "AGENTKIT_WORKSPACE": str(cwd)})


def test_the_core_import_path_does_not_load_langchain_community(tmp_path: Path) -> None:
    done = _python(f"import importlib, sys\nfor m in {CORE!r}: importlib.import_module(m)\n"
                   "print(sorted(m for m in sys.modules if m.startswith('langchain_community')))", tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_indexing_plain_files_works_with_langchain_community_missing(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "bees.md").write_text("# Bees\n\nHoneybees dance to point at flowers.\n")
    blocked = ("import sys\nsys.modules['langchain_community'] = None  # as if not installed\n"
               "from agentkit.cli.app import app\n"
               "app(['index', 'docs', '--store', 'kb'], standalone_mode=False)\n")
    done = _python(blocked, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "1 files" in done.stdout and "1 chunks added" in done.stdout, done.stdout


def test_lower_layers_load_neither_the_engine_nor_langgraph(tmp_path: Path) -> None:
    done = _python("import json, sys\n"
                   "import agentkit.jsonl, agentkit.models.config, agentkit.rag.config, agentkit.rag.text\n"
                   "print(json.dumps(sorted(sys.modules)))", tmp_path)
    assert done.returncode == 0, done.stderr
    higher = ("langgraph", "agentkit.engine", "agentkit.nodes", "agentkit.cli")
    assert [m for m in json.loads(done.stdout) if m.startswith(higher)] == []

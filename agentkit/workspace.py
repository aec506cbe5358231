"""The workspace: the folder holding graphs/, tools/, prompts and `.agentkit/` state."""

from __future__ import annotations

import os
from pathlib import Path

MARKERS = ("tools", "graphs", ".agentkit")


def find_workspace(start: Path | None = None) -> Path:
    """`$AGENTKIT_WORKSPACE`, else the nearest folder at or above `start` with a
    tools/, graphs/ or .agentkit/ folder, else the current directory."""
    if env := os.environ.get("AGENTKIT_WORKSPACE"):
        return Path(env).resolve()
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if any((folder / marker).is_dir() for marker in MARKERS):
            return folder
    return Path.cwd().resolve()


def state_dir(workspace: Path) -> Path:
    """`<workspace>/.agentkit`, created on demand (checkpoints, traces, indexes)."""
    path = workspace / ".agentkit"
    path.mkdir(parents=True, exist_ok=True)
    return path

"""Write a file a command was asked for (`--out`, `--png`): create its folder, and turn
what the OS refuses into a clear ConfigError instead of a traceback."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from agentkit.errors import ConfigError


def write_output(path: Path, option: str, write: Callable[[Path], object]) -> Path:
    """Call `write(path)` once `path`'s folder exists (created if missing)."""
    if path.is_dir():
        raise ConfigError(f"{option} {path} is a folder; give the path of a file inside it")
    if blocking := next((p for p in reversed(path.parents) if p.exists() and not p.is_dir()), None):
        raise ConfigError(f"{option} {path}: {blocking} is a file, not a folder; choose another path")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"{option} {path}: cannot create the folder {path.parent} ({exc.strerror}); "
                          "choose another path") from None
    try:
        write(path)
    except OSError as exc:
        raise ConfigError(f"{option} {path}: cannot write the file ({exc.strerror}); choose another path") from None
    return path

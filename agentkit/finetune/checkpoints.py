"""Checkpoints that are either complete or absent: the trainer writes into a staging
folder that is renamed into place, so a full disk or a kill mid-write leaves the previous
checkpoint usable; `--resume` picks the newest complete one."""

from __future__ import annotations

import errno
import re
import shutil
from pathlib import Path
from typing import Any

from agentkit.errors import ConfigError

CHECKPOINTS = "checkpoints"
STAGING = ".staging"
_NAME = re.compile(r"^checkpoint-(\d+)$")
REQUIRED = ("trainer_state.json", "adapter_model.safetensors", "adapter_config.json")


def checkpoint_root(output: Path) -> Path:
    """Where a run's checkpoints live (inside its output folder)."""
    return output / CHECKPOINTS


def complete_checkpoints(output: Path) -> list[Path]:
    """Complete checkpoints of a run, oldest first."""
    root = checkpoint_root(output)
    if not root.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in root.iterdir()
             if p.is_dir() and (m := _NAME.match(p.name)) and all((p / f).is_file() for f in REQUIRED)]
    return [p for _, p in sorted(found)]


def latest_checkpoint(output: Path) -> Path | None:
    """The newest complete checkpoint, or None."""
    found = complete_checkpoints(output)
    return found[-1] if found else None


class AtomicCheckpoints:
    """Trainer mixin: stage each checkpoint, rename it into place, keep the newest N."""

    keep_checkpoints: int = 2

    def _save_checkpoint(self, model: Any, trial: Any) -> None:
        args: Any = self.args  # type: ignore[attr-defined]
        root = Path(args.output_dir)
        staging = root / STAGING
        shutil.rmtree(staging, ignore_errors=True)
        args.output_dir = str(staging)
        try:
            super()._save_checkpoint(model, trial)  # type: ignore[misc]
            step = self.state.global_step  # type: ignore[attr-defined]
            written = staging / f"checkpoint-{step}"
            target = root / written.name
            if target.exists():
                shutil.rmtree(target)
            written.rename(target)
        except OSError as exc:
            raise CheckpointError(root, exc) from exc
        finally:
            args.output_dir = str(root)
            shutil.rmtree(staging, ignore_errors=True)
        for old in complete_checkpoints(root.parent)[: -self.keep_checkpoints]:
            shutil.rmtree(old, ignore_errors=True)


class CheckpointError(ConfigError):
    """A checkpoint could not be written; the previous one is still there."""

    def __init__(self, root: Path, exc: OSError):
        previous = latest_checkpoint(root.parent)
        why = "the disk is full" if exc.errno == errno.ENOSPC else f"{exc.strerror or exc}"
        kept = (f"the previous checkpoint {previous} is intact; free space and run again with --resume"
                if previous else "no earlier checkpoint exists; free space and run again")
        super().__init__(f"could not write a checkpoint under {root}: {why}; {kept}")

"""Loss curves of a run (train and eval loss per step) as a PNG."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def plot_losses(history: list[dict[str, Any]], path: Path, title: str) -> bool:
    """Draw train/eval loss from the trainer's log history; False when nothing was logged."""
    train = [(h["step"], h["loss"]) for h in history if "loss" in h and "step" in h]
    evals = [(h["step"], h["eval_loss"]) for h in history if "eval_loss" in h and "step" in h]
    if not train and not evals:
        return False
    from matplotlib.figure import Figure  # no pyplot: the process's backend stays as it is

    figure = Figure(figsize=(7, 4))
    axes = figure.subplots()
    if train:
        axes.plot(*zip(*train), label="train loss", linewidth=1)
    if evals:
        axes.plot(*zip(*evals), "o-", label="eval loss")
    axes.set(xlabel="step", ylabel="loss", title=title)
    axes.grid(alpha=0.3)
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    return True

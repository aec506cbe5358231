"""`agentkit optimize PROMPT --data FILE ...`: pick few-shot examples, save the winner as a new version."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from agentkit.cli.errors import friendly_errors
from agentkit.prompts import PromptStore
from agentkit.prompts.optimize import load_labeled, optimize_fewshot, split
from agentkit.workspace import find_workspace

console = Console()


@friendly_errors
def optimize_command(
    prompt: Annotated[str, typer.Argument(help="classification prompt: NAME or NAME@VERSION")],
    data: Annotated[Path, typer.Option("--data", help="JSONL file with input texts and labels")],
    labels: Annotated[str, typer.Option("--labels", help="comma-separated labels, e.g. polite,impolite")],
    text_key: Annotated[str, typer.Option("--text-key", help="field holding the input text")] = "text",
    label_key: Annotated[str, typer.Option("--label-key", help="field holding the label")] = "label",
    k: Annotated[int, typer.Option("--k", help="few-shot examples per candidate")] = 4,
    trials: Annotated[int, typer.Option("--trials", help="candidate sets to try")] = 6,
    train: Annotated[int, typer.Option("--train", help="training rows (scoring + example pool)")] = 60,
    train_eval: Annotated[int, typer.Option("--train-eval", help="training rows used to score candidates")] = 30,
    dev: Annotated[int, typer.Option("--dev", help="held-out rows to measure the gain on")] = 60,
    seed: Annotated[int, typer.Option("--seed")] = 0,
) -> None:
    """Choose few-shot examples by accuracy on a training split; show the gain on a dev split."""
    from agentkit.models import ChatModelConfig, get_chat_model

    store = PromptStore(find_workspace() / "prompts")
    original = store.get(prompt)
    names = [label.strip() for label in labels.split(",") if label.strip()]
    train_rows, dev_rows = split(load_labeled(data, text_key, label_key, names), train, dev, seed)
    model = get_chat_model(ChatModelConfig())
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task("scoring candidates", total=(trials + 1) * train_eval + 2 * dev)
        result = optimize_fewshot(model, original, train_rows, dev_rows, names, k=k, trials=trials,
                                  train_eval=train_eval, seed=seed, progress=lambda n: bar.advance(task, n))
    table = Table(title=f"few-shot search for {original.ref} ({len(train_rows)} train / {len(dev_rows)} dev rows)")
    for column in ("candidate", "examples", "train accuracy"):
        table.add_column(column)
    for i, trial in enumerate(result.trials):
        table.add_row("original" if i == 0 else str(i), str(len(trial.examples)), f"{trial.train_accuracy:.3f}")
    console.print(table)
    saved = store.save(result.best)
    console.print(f"dev accuracy: original {result.original_dev_accuracy:.3f} -> best "
                  f"{result.best_dev_accuracy:.3f} ({result.best_dev_accuracy - result.original_dev_accuracy:+.3f})")
    console.print(f"saved {saved.ref} (label {saved.label}); previous versions stay in the history", highlight=False)

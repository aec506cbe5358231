"""Choose few-shot examples for a classification prompt by a metric (DSPy-style random search).

Candidates are label-balanced sets of k examples from the training split, plus the prompt
as it is; each is scored by accuracy on part of the training split, and the winner and
the original are then measured on a separate dev split. The model answers by picking
the most likely label (`LocalChatModel.choose`), so every answer is a valid label."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any, Callable, Sequence

from pydantic import BaseModel

from agentkit.errors import ConfigError
from agentkit.jsonl import loads_json
from agentkit.prompts.models import Example, Prompt

Progress = Callable[[int], None]


class Labeled(BaseModel):
    """One input text and its gold label."""

    text: str
    label: str


class Trial(BaseModel):
    """One candidate prompt and its training-split accuracy."""

    examples: list[Example]
    train_accuracy: float


class OptimizeResult(BaseModel):
    """What the search found, measured on the dev split against the original prompt."""

    original: Prompt
    best: Prompt
    trials: list[Trial]
    original_dev_accuracy: float
    best_dev_accuracy: float
    n_train: int
    n_dev: int


def load_labeled(path: Path, text_key: str, label_key: str, labels: Sequence[str]) -> list[Labeled]:
    """Rows of a JSONL file whose label is one of `labels`; a bad line names file and line."""
    rows = []
    with path.open(encoding="utf-8") as stream:
        for number, line in enumerate(stream, 1):
            if not line.strip():
                continue
            try:
                record = loads_json(line)
                text, label = record[text_key], record[label_key]
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise ConfigError(f"{path}:{number}: expected a JSON object with {text_key!r} and "
                                  f"{label_key!r} ({exc}); fix the line or the --text-key/--label-key") from None
            if label in labels:
                rows.append(Labeled(text=str(text), label=str(label)))
    if not rows:
        raise ConfigError(f"{path}: no rows with {label_key!r} in {list(labels)}")
    return rows


def split(rows: list[Labeled], n_train: int, n_dev: int, seed: int) -> tuple[list[Labeled], list[Labeled]]:
    """Disjoint, shuffled train and dev splits."""
    shuffled = random.Random(seed).sample(rows, len(rows))
    if n_train + n_dev > len(shuffled):
        raise ConfigError(f"asked for {n_train} train + {n_dev} dev rows but the data has {len(shuffled)}")
    return shuffled[:n_train], shuffled[n_train:n_train + n_dev]


def accuracy(model: Any, prompt: Prompt, rows: Sequence[Labeled], labels: Sequence[str], variable: str,
             progress: Progress = lambda _: None) -> float:
    """Share of rows where the model picks the gold label."""
    correct = 0
    for row in rows:
        correct += model.choose(prompt.to_messages({variable: row.text}), list(labels)) == row.label
        progress(1)
    return correct / len(rows)


def _candidate(pool: list[Labeled], labels: Sequence[str], k: int, rng: random.Random, prompt: Prompt) -> list[Example]:
    per_label = {label: [row for row in pool if row.label == label] for label in labels}
    if missing := [label for label, rows in per_label.items() if not rows]:
        raise ConfigError(f"no training example is labelled {missing}; use more training rows")
    chosen = [rng.choice(per_label[labels[i % len(labels)]]) for i in range(k)]
    rng.shuffle(chosen)
    template = prompt.template or "{text}"
    variable = prompt.variables()[-1]
    return [Example(user=template.format_map({variable: row.text}), assistant=row.label) for row in chosen]


def optimize_fewshot(
    model: Any,
    prompt: Prompt,
    train: list[Labeled],
    dev: list[Labeled],
    labels: Sequence[str],
    *,
    k: int = 4,
    trials: int = 6,
    train_eval: int = 30,
    seed: int = 0,
    progress: Progress = lambda _: None,
) -> OptimizeResult:
    """Random search over few-shot sets; the original prompt competes as trial 0."""
    variables = prompt.variables()
    if not variables:
        raise ConfigError(f"prompt {prompt.name!r} has no {{variable}} for the input text")
    variable = variables[-1]
    if len(train) <= train_eval:
        raise ConfigError(f"the training split ({len(train)} rows) must be larger than train_eval ({train_eval}): "
                          f"the rest is the pool few-shot examples come from")
    rng = random.Random(seed)
    scoring, pool = train[:train_eval], train[train_eval:]
    candidates = [list(prompt.examples)] + [
        list(prompt.examples) + _candidate(pool, labels, k, rng, prompt) for _ in range(trials)
    ]
    results = [
        Trial(examples=examples, train_accuracy=accuracy(
            model, prompt.model_copy(update={"examples": examples}), scoring, labels, variable, progress))
        for examples in candidates
    ]
    winner = max(results, key=lambda trial: trial.train_accuracy)
    best = prompt.model_copy(update={"examples": winner.examples, "label": f"fewshot-k{k}-seed{seed}"})
    return OptimizeResult(
        original=prompt,
        best=best,
        trials=results,
        original_dev_accuracy=accuracy(model, prompt, dev, labels, variable, progress),
        best_dev_accuracy=accuracy(model, best, dev, labels, variable, progress),
        n_train=len(train),
        n_dev=len(dev),
    )

"""Rewrites for the tone eval: which items, the few-shot examples, and each variant's
rewrites (`copy` the input, `base` the model with the rewrite node's instruction,
`prompted` the same plus few-shot examples, or an adapter: a folder or shipped name)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path

from agentkit.errors import ConfigError
from agentkit.tone.data import ToneItem, in_heldout

FIXED = ("copy", "base", "prompted")


def pick_items(
    items: list[ToneItem], split: str, seed: int, fraction: float, limit: int | None, shots: int,
) -> tuple[list[ToneItem], list[ToneItem]]:
    """(evaluated items, few-shot examples). `heldout`: the held-out split by seed, the
    examples from outside it; `all`: the first `shots` items are the examples, the rest evaluated."""
    if split == "heldout":
        chosen = [i for i in items if in_heldout(i.id, seed, fraction)]
        examples = [i for i in items if not in_heldout(i.id, seed, fraction) and i.neutral][:shots]
    else:
        examples = [i for i in items if i.neutral][:shots]
        taken = {i.id for i in examples}
        chosen = [i for i in items if i.id not in taken]
    if not chosen:
        raise ConfigError(f"no items to evaluate in the {split!r} split (seed {seed}, fraction {fraction:g}, "
                          f"{len(items)} items)\n    fix: give more data, or use split `all` (--split all)")
    return chosen[:limit] if limit else chosen, examples


def variant_label(variant: str) -> str:
    """The group name of a variant (an adapter's folder name, as a plain name)."""
    if variant in FIXED:
        return variant
    name = re.sub(r"[^A-Za-z0-9_-]", "_", Path(variant).name) or "adapter"
    return name if name[0].isalpha() and name not in FIXED else f"adapter_{name}"


def rewrites(
    variant: str, items: Sequence[ToneItem], examples: Sequence[ToneItem], *, model: str | None,
    max_tokens: int, batch: int, progress: Callable[[int], None],
) -> list[str]:
    """Each item's rewrite by `variant` (greedy, batched)."""
    if variant == "copy":
        progress(len(items))
        return [i.toxic for i in items]
    from agentkit.models import ChatModelConfig, get_chat_model
    from agentkit.tone.rewriting import RewriteExample, rewrite_messages

    shots = [RewriteExample(source=e.toxic, rewrite=e.neutral[0]) for e in examples] if variant == "prompted" else []
    adapters = {} if variant in FIXED else {variant_label(variant): variant}
    chat = get_chat_model(ChatModelConfig(model=model, max_tokens=max_tokens, adapters=adapters))
    if adapters:
        chat = chat.with_adapter(variant_label(variant))
    out: list[str] = []
    for start in range(0, len(items), batch):
        chunk = items[start:start + batch]
        replies = chat.generate_batch([rewrite_messages(i.toxic, examples=shots) for i in chunk])
        out += [str(r.content).strip() for r in replies]
        progress(len(chunk))
    return out

"""Local model speed on this machine: load (cold GGUF conversion vs warm cache) and
greedy generation throughput at batch 1 and batch 8 (the llama.cpp engine), on the
transformers engine and with torch's int8, side by side with transformers' own
`generate()` on the same prompts (bench/serve_engine.py compares engines per thread count).

Run: .venv/bin/python bench/local_model.py   (about 1-2 minutes on 2 CPU cores)"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from typing import Any, TypeVar

import torch
from langchain_core.messages import HumanMessage
from rich.console import Console
from rich.table import Table

from generation_prompts import NEW_TOKENS, PROMPTS  # bench/ is on the path of a script run from it

from agentkit.models import LocalChatModel
from agentkit.models.gguf_cache import CACHE_ENV
from agentkit.models.loading import load_model


T = TypeVar("T")


def timed(work: Callable[..., T], *args: Any, **kwargs: Any) -> tuple[T, float]:
    """Run `work(*args, **kwargs)` once; return its result and the wall time in seconds."""
    started = time.perf_counter()
    result = work(*args, **kwargs)
    return result, time.perf_counter() - started


def throughput(chat: LocalChatModel, batch_size: int) -> tuple[float, int]:
    """Generated tokens per second over PROMPTS in batches of `batch_size`."""
    chat.generate_batch(PROMPTS[:1], max_tokens=4)  # warm-up
    tokens, seconds = 0, 0.0
    for start in range(0, len(PROMPTS), batch_size):
        batch = PROMPTS[start : start + batch_size]
        replies, elapsed = timed(chat.generate_batch, batch, max_tokens=NEW_TOKENS)
        tokens += sum(r.usage_metadata["output_tokens"] for r in replies)
        seconds += elapsed
    return tokens / seconds, tokens


def peer_throughput(chat: LocalChatModel, batch_size: int) -> tuple[float, int]:
    """The peer: transformers' own `generate()` on the same chat prompts, greedy, left-padded."""
    loaded = chat.loaded
    loaded.tokenizer.padding_side = "left"
    tokens, seconds = 0, 0.0
    for start in range(0, len(PROMPTS), batch_size):
        ids = [chat.prompt_ids([HumanMessage(p)]) for p in PROMPTS[start : start + batch_size]]
        batch = loaded.tokenizer.pad({"input_ids": ids}, return_tensors="pt")
        with torch.no_grad():
            out, elapsed = timed(loaded.model.generate, **batch, max_new_tokens=NEW_TOKENS, do_sample=False,
                                 pad_token_id=loaded.pad_id)
        new = out[:, batch["input_ids"].shape[1]:]
        for row in new.tolist():
            ended = [i for i, t in enumerate(row) if t in loaded.eos_ids]
            tokens += ended[0] + 1 if ended else len(row)
        seconds += elapsed
    return tokens / seconds, tokens


def main() -> None:
    console = Console()
    table = Table("measurement", "value", "notes", title="SmolLM2-135M-Instruct on CPU")
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="agentkit-bench-") as cache:
        os.environ[CACHE_ENV] = cache
        _, cold = timed(load_model)
        _, warm = timed(load_model)
        table.add_row("load, cold", f"{cold:.1f} s", "GGUF read + dequantize + save (fresh cache)")
        table.add_row("load, warm", f"{warm:.2f} s", "from the cached safetensors copy")
        chat = LocalChatModel()
        for label, measure, model, batch in (
            ("agentkit greedy (llama.cpp engine), batch 1", throughput, chat, 1),
            ("transformers generate(), batch 1", peer_throughput, chat, 1),
            ("agentkit greedy (llama.cpp engine), batch 8", throughput, chat, 8),
            ("transformers generate(), batch 8", peer_throughput, chat, 8),
            ("agentkit greedy (transformers engine), batch 1", throughput, LocalChatModel(engine="transformers"), 1),
            ("agentkit greedy, batch 1, quantize=True (torch int8)", throughput, LocalChatModel(quantize=True), 1),
        ):
            rate, tokens = measure(model, batch)
            table.add_row(label, f"{rate:.1f} tok/s", f"{tokens} tokens, {len(PROMPTS)} prompts")
    table.caption = (
        f"{NEW_TOKENS} new tokens max per prompt; torch threads {torch.get_num_threads()}; "
        f"load average {load_before:.2f} -> {os.getloadavg()[0]:.2f}"
    )
    console.print(table)


if __name__ == "__main__":
    main()

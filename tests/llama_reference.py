"""References for the llama.cpp engine: llama-cpp-python's own `Llama` generating alone
(one sequence, its own context, optionally with a GGUF LoRA), and its logits."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import llama_cpp
import numpy as np

from agentkit.models.llama.files import lora_gguf
from agentkit.models.loading import default_gguf_path


def reference_model(adapter: Path | None = None) -> llama_cpp.Llama:
    """The bundled GGUF in llama-cpp-python's high-level API, with `adapter` (a peft folder)."""
    lora = {} if adapter is None else {"lora_path": str(lora_gguf(adapter, default_gguf_path()))}
    return llama_cpp.Llama(str(default_gguf_path()), n_ctx=1024, n_threads=1, verbose=False, logits_all=True,
                           **lora)


def reference_greedy(prompt: Sequence[int], max_tokens: int, adapter: Path | None = None) -> str:
    """What the model alone answers greedily after `prompt` (token ids)."""
    out = reference_model(adapter).create_completion(list(prompt), max_tokens=max_tokens, temperature=0.0)
    return out["choices"][0]["text"]


def reference_logits(prompt: Sequence[int], adapter: Path | None = None) -> np.ndarray:
    """Next-token logits after `prompt`."""
    model = reference_model(adapter)
    model.eval(list(prompt))
    return np.array(model.scores[model.n_tokens - 1])

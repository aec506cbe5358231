"""Tiny real LoRA adapters on the real local model, for the adapter tests.

r=2 on q_proj with `init_lora_weights=False`, so each adapter (seeded) changes the output;
saved with peft plus `agentkit_adapter.json` naming the base model's fingerprint."""

from __future__ import annotations

from pathlib import Path

import torch
from peft import LoraConfig, get_peft_model

from agentkit.models.adapter_meta import AdapterMeta, model_fingerprint
from agentkit.models.loading import load_model, resolve_source


def make_adapter(folder: Path, seed: int, fingerprint: str | None = None) -> Path:
    """Write a random rank-2 LoRA adapter for the default base model into `folder`;
    `fingerprint` overrides the recorded base hash (to fake another base)."""
    torch.manual_seed(seed)
    base = load_model(None).model
    config = LoraConfig(r=2, lora_alpha=4, target_modules=["q_proj"], init_lora_weights=False)
    get_peft_model(base, config).save_pretrained(str(folder))
    AdapterMeta(
        name=folder.name,
        method="sft",
        base_model="SmolLM2-135M-Instruct (bundled)",
        base_model_sha256=fingerprint or model_fingerprint(resolve_source(None)),
        training={"lora": {"r": 2, "target_modules": ["q_proj"]}, "seed": seed},
    ).save(folder)
    return folder

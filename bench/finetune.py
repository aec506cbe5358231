"""Training and merged-inference speed on this machine (CPU), measured side by side:

1. LoRA SFT step time at batch 4, seq 128: agentkit's trainer (TRL SFTTrainer with its
   callbacks and atomic checkpoints off the timed path) vs plain peft + transformers
   Trainer (the floor), same model, same LoRA (r=8, q_proj/v_proj), same rows.
2. Training tokens/s for SFT, DPO and QLoRA (agentkit's trainer).
3. Greedy decoding tokens/s at batch 1 for the base, the merged adapter in fp32, and the
   merged adapter with dynamic int8.

Run: OMP_NUM_THREADS=2 python bench/finetune.py [--steps 6]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import torch

from agentkit.finetune.adapters import merge_adapter
from agentkit.finetune.config import load_config
from agentkit.finetune.model import load_base, lora_config
from agentkit.finetune.train import run_finetune
from agentkit.models.loading import load_model

SEQ, BATCH = 128, 4
PROMPT = "Rewrite politely: stop the coverage and let em rot ."


def rows(count: int) -> list[dict[str, str]]:
    """Prompt/completion rows that fill SEQ tokens (so every step sees batch x SEQ tokens)."""
    text = "please be kind to everyone in this thread and keep it civil " * 12
    return [{"prompt": f"Rewrite #{i}: {text[:200]}", "completion": text[:400]} for i in range(count)]


def config_file(folder: Path, method: str, steps: int, qlora: bool = False) -> Path:
    data = folder / f"{method}.jsonl"
    with data.open("w") as handle:
        for row in rows(BATCH * (steps + 2)):
            if method == "dpo":
                row = {"prompt": row["prompt"], "chosen": row["completion"], "rejected": row["completion"][::-1]}
            handle.write(json.dumps(row) + "\n")
    path = folder / f"{method}{'_q' if qlora else ''}.yaml"
    path.write_text(f"data:\n  files: [{{path: {data}}}]\n  eval_fraction: 0\nqlora: {str(qlora).lower()}\n"
                    f"train: {{steps: {steps}, batch_size: {BATCH}, max_length: {SEQ}, save_every: 100000}}\n"
                    f"output: {folder / path.stem}\n")
    return path


def agentkit_run(folder: Path, method: str, steps: int, qlora: bool = False) -> tuple[float, float, Path]:
    """(seconds per step, tokens/s) of an agentkit run, timed by the trainer."""
    config = load_config(config_file(folder, method, steps, qlora), method)  # type: ignore[arg-type]
    result = run_finetune(config, overwrite=True, trace_project=None)
    log = json.loads((result.output / "training_log.json").read_text())
    runtime = next(h["train_runtime"] for h in log if "train_runtime" in h)
    return runtime / steps, result.tokens_per_s or 0.0, result.output


def plain_peft_step(folder: Path, steps: int) -> float:
    """Seconds per step of peft + transformers Trainer on the same tokens."""
    from peft import get_peft_model
    from transformers import Trainer, TrainingArguments

    config = load_config(config_file(folder, "sft", steps), "sft")
    base = load_base(config)
    model = get_peft_model(base.model, lora_config(config))
    encoded = [base.tokenizer(r["prompt"] + r["completion"], truncation=True, max_length=SEQ,
                              padding="max_length") for r in rows(BATCH * (steps + 2))]
    dataset = [{"input_ids": e["input_ids"], "attention_mask": e["attention_mask"], "labels": e["input_ids"]}
               for e in encoded]
    args = TrainingArguments(output_dir=str(folder / "plain"), per_device_train_batch_size=BATCH, max_steps=steps,
                             learning_rate=2e-4, report_to="none", use_cpu=True, save_strategy="no",
                             disable_tqdm=True, logging_steps=1000)
    metrics = Trainer(model=model, args=args, train_dataset=dataset).train().metrics
    return metrics["train_runtime"] / steps


def decode_rate(model_ref: str | None, quantize: bool, tokens: int = 48) -> float:
    loaded = load_model(model_ref, quantize=quantize)
    ids = loaded.tokenizer.apply_chat_template([{"role": "user", "content": PROMPT}], add_generation_prompt=True,
                                               return_tensors="pt", return_dict=True)["input_ids"]
    with torch.no_grad():
        loaded.model.generate(ids, max_new_tokens=4, do_sample=False)
        start = time.perf_counter()
        out = loaded.model.generate(ids, max_new_tokens=tokens, min_new_tokens=tokens, do_sample=False)
    return (out.shape[1] - ids.shape[1]) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=6)
    steps = parser.parse_args().steps
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        floor = plain_peft_step(folder, steps)
        sft_step, sft_rate, adapter = agentkit_run(folder, "sft", steps)
        print(f"LoRA SFT step, batch {BATCH} x seq {SEQ}: agentkit {sft_step:.2f} s, "
              f"plain peft + Trainer {floor:.2f} s ({sft_step / floor:.2f}x)")
        print(f"SFT   {sft_rate:7.0f} tok/s")
        _, dpo_rate, _ = agentkit_run(folder, "dpo", steps)
        print(f"DPO   {dpo_rate:7.0f} tok/s (chosen + rejected tokens)")
        q_step, q_rate, _ = agentkit_run(folder, "sft", steps, qlora=True)
        print(f"QLoRA {q_rate:7.0f} tok/s ({q_step:.2f} s/step)")
        merged = merge_adapter(str(adapter), folder / "merged")
        for label, ref, quant in (("base fp32", None, False), ("merged fp32", str(merged), False),
                                  ("base int8", None, True), ("merged int8", str(merged), True)):
            print(f"decode batch 1, {label:11s}: {decode_rate(ref, quant):6.1f} tok/s")


if __name__ == "__main__":
    main()

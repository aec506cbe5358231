"""Run `agentkit finetune sft|dpo`: data → base model + LoRA → TRL trainer with atomic
checkpoints, Ctrl-C handling and eval spans → the adapter folder (weights, meta, card, plot)."""

from __future__ import annotations

import json
import os
import shutil
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from agentkit.errors import ConfigError
from agentkit.finetune.callbacks import (
    EvalSpanCallback, InterruptCallback, Observer, ProgressCallback, SilentObserver, catch_sigint,
)
from agentkit.finetune.card import CARD, write_card
from agentkit.finetune.checkpoints import AtomicCheckpoints, checkpoint_root, latest_checkpoint
from agentkit.finetune.config import FinetuneConfig
from agentkit.finetune.data import BadRow, Dataset, load_data
from agentkit.finetune.model import Base, check_target_modules, inherit_lora, load_base, lora_config, with_adapter
from agentkit.finetune.plot import plot_losses
from agentkit.finetune.tracing import traced_run
from agentkit.models.adapter_meta import META_FILE, AdapterMeta, DataSource, read_meta

LOSS_PNG = "loss.png"
ADAPTER_FILES = ("adapter_config.json", "adapter_model.safetensors", META_FILE, CARD, LOSS_PNG,
                 "training_log.json")
# transformers' own trainer code calls its deprecated gradient_checkpointing names
warnings.filterwarnings("ignore", message=r".*gradient_checkpointing.* is deprecated", category=FutureWarning)


@dataclass
class RunResult:
    """How a run ended and where its products are."""

    output: Path
    steps: int
    interrupted: bool
    checkpoint: Path | None
    train_loss: float | None
    eval_loss: float | None
    tokens_per_s: float | None
    seconds: float
    bad_rows: list[BadRow] = field(default_factory=list)


def run_finetune(config: FinetuneConfig, *, resume: bool = False, overwrite: bool = False,
                 observer: Observer | None = None, trace_project: str | None = "finetune") -> RunResult:
    """Train an adapter as `config` says; `trace_project` None disables Phoenix tracing."""
    observer = observer or SilentObserver()
    output = config.output_dir()
    start_from = _check_output(output, resume, overwrite)
    config = inherit_lora(config)
    data = load_data(config, config.method or "sft")
    for bad in data.bad:
        observer.log(f"skipped {bad}")
    base = load_base(config)
    check_target_modules(base.model, config.lora.target_modules, f"{config.source}: lora.target_modules")
    _make_output(output, overwrite and not resume)
    settings = config.model_dump(mode="json")
    interrupt = InterruptCallback()
    started = time.perf_counter()
    with _maybe_traced(trace_project, config.name, settings) as run_trace:
        trainer = _trainer(config, base, data, output, observer, interrupt, run_trace)
        try:
            with catch_sigint(interrupt, observer):
                stats = trainer.train(resume_from_checkpoint=str(start_from) if start_from else None)
                if data.eval and not interrupt.requested and not _evaluated_at_end(trainer):
                    trainer.evaluate()
        finally:
            observer.stop()
        if run_trace is not None:
            run_trace.span.set_attribute("finetune.steps", trainer.state.global_step)
            run_trace.span.set_attribute("output.value", str(output))
    history = trainer.state.log_history
    result = RunResult(
        output=output, steps=trainer.state.global_step, interrupted=interrupt.requested,
        checkpoint=latest_checkpoint(output), train_loss=_last(history, "loss"),
        eval_loss=_last(history, "eval_loss"), tokens_per_s=_rate(stats.metrics, trainer),
        seconds=time.perf_counter() - started, bad_rows=data.bad)
    if not interrupt.requested:
        _publish(config, base, data, trainer, output)
        result.checkpoint = None
    return result


def _check_output(output: Path, resume: bool, overwrite: bool) -> Path | None:
    """The checkpoint to resume from; refuses to replace earlier work unless told to."""
    checkpoint = latest_checkpoint(output)
    if resume:
        if checkpoint is None:
            raise ConfigError(f"--resume: no complete checkpoint in {checkpoint_root(output)}; "
                              f"run without --resume to start a new run")
        return checkpoint
    finished = (output / "adapter_config.json").is_file()
    if (finished or checkpoint_root(output).is_dir()) and not overwrite:
        what = "a trained adapter" if finished else "checkpoints of an earlier run"
        raise ConfigError(f"{output} already holds {what}; pass --resume to continue it, --overwrite "
                          f"to replace it, or --output to write elsewhere")
    if output.exists() and not output.is_dir():
        raise ConfigError(f"output {output} is a file; give a folder path with --output")
    return None


def _make_output(output: Path, overwrite: bool) -> None:
    if overwrite:
        shutil.rmtree(checkpoint_root(output), ignore_errors=True)
        for name in ADAPTER_FILES:
            (output / name).unlink(missing_ok=True)
    try:
        output.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot create the output folder {output}: {exc.strerror or exc}") from None


def _maybe_traced(project: str | None, name: str, settings: dict[str, Any]) -> Any:
    from contextlib import nullcontext

    return traced_run(project, name, settings) if project else nullcontext(None)


def _trainer(config: FinetuneConfig, base: Base, data: Dataset, output: Path, observer: Observer,
             interrupt: InterruptCallback, run_trace: Any) -> Any:
    from datasets import Dataset as HFDataset
    from datasets.utils.logging import disable_progress_bar
    from transformers import PrinterCallback

    disable_progress_bar()

    train = config.train
    common: dict[str, Any] = dict(
        output_dir=str(checkpoint_root(output)), per_device_train_batch_size=train.batch_size,
        per_device_eval_batch_size=train.batch_size, gradient_accumulation_steps=train.grad_accum,
        learning_rate=train.lr, num_train_epochs=train.epochs, max_steps=train.steps or -1,
        warmup_steps=train.warmup_ratio, seed=train.seed, data_seed=train.seed, logging_steps=1,
        save_strategy="steps", save_steps=train.save_every, save_total_limit=None,
        eval_strategy="steps" if data.eval else "no", eval_steps=train.eval_every,
        report_to="none", use_cpu=not torch.cuda.is_available(), disable_tqdm=True,
        include_num_input_tokens_seen="non_padding", max_length=train.max_length,
        dataloader_num_workers=0, save_only_model=False,
        gradient_checkpointing=train.gradient_checkpointing,
    )
    model: Any = base.model
    peft_config = lora_config(config)
    if config.init_adapter:
        model = with_adapter(base, config.path_of(config.init_adapter))
        peft_config = None
    callbacks = [ProgressCallback(observer), interrupt]
    if run_trace is not None:
        callbacks.append(EvalSpanCallback(run_trace.tracer, run_trace.span))
    datasets = dict(train_dataset=HFDataset.from_list(data.train),
                    eval_dataset=HFDataset.from_list(data.eval) if data.eval else None)
    if config.method == "dpo":
        from trl import DPOConfig, DPOTrainer

        class _DPO(AtomicCheckpoints, DPOTrainer):
            keep_checkpoints = train.keep_checkpoints

        args = DPOConfig(beta=config.dpo.beta, **common)
        trainer = _DPO(model=model, ref_model=None, args=args, processing_class=base.tokenizer,
                       peft_config=peft_config, callbacks=callbacks, **datasets)
    else:
        from trl import SFTConfig, SFTTrainer

        class _SFT(AtomicCheckpoints, SFTTrainer):
            keep_checkpoints = train.keep_checkpoints

        args = SFTConfig(completion_only_loss=True, **common)
        trainer = _SFT(model=model, args=args, processing_class=base.tokenizer, peft_config=peft_config,
                       callbacks=callbacks, **datasets)
    trainer.remove_callback(PrinterCallback)
    if len(trainer.train_dataset) == 0:
        raise ConfigError(f"{config.source}: no training row fits train.max_length={train.max_length} tokens "
                          f"(the trainer dropped all {len(data.train)}); raise train.max_length")
    return trainer


def _evaluated_at_end(trainer: Any) -> bool:
    history = trainer.state.log_history
    return any("eval_loss" in h and h.get("step") == trainer.state.global_step for h in history)


def _last(history: list[dict[str, Any]], key: str) -> float | None:
    values = [h[key] for h in history if key in h]
    return float(values[-1]) if values else None


def _rate(metrics: dict[str, Any], trainer: Any) -> float | None:
    seconds = metrics.get("train_runtime")
    tokens = trainer.state.num_input_tokens_seen - getattr(trainer, "_initial_num_input_tokens_seen", 0)
    return tokens / seconds if seconds and tokens else None


def _publish(config: FinetuneConfig, base: Base, data: Dataset, trainer: Any, output: Path) -> None:
    """Write the adapter folder: staged next to it, then moved in file by file."""
    staging = output / ".publish"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        trainer.model.save_pretrained(str(staging), selected_adapters=["default"])
        meta = AdapterMeta(
            name=config.name, method=config.method or "sft", base_model=base.label,
            base_model_sha256=base.sha256, training=config.model_dump(mode="json"),
            data=[DataSource(source=f.source or f.path, rows=data.rows_per_file.get(f.path, 0),
                             license=f.license) for f in config.data.files],
            starts_from=read_meta(config.path_of(config.init_adapter)) if config.init_adapter else None)
        write_card(staging, meta)
        history = trainer.state.log_history
        (staging / "training_log.json").write_text(json.dumps(history, indent=1) + "\n", encoding="utf-8")
        plot_losses(history, staging / LOSS_PNG, f"{config.name} ({config.method})")
        for item in staging.iterdir():
            os.replace(item, output / item.name)
    except OSError as exc:
        raise ConfigError(f"could not write the adapter into {output}: {exc.strerror or exc}; "
                          f"the checkpoints under {checkpoint_root(output)} are kept (use --resume)") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    shutil.rmtree(checkpoint_root(output), ignore_errors=True)

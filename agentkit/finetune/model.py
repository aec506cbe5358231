"""The base model for training: the cached safetensors copy of the local GGUF (or a
folder / hub id), optionally 4-bit (QLoRA via bitsandbytes), plus the LoRA settings."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, PreTrainedModel
from transformers.tokenization_utils_base import PreTrainedTokenizerBase

from agentkit.errors import ConfigError
from agentkit.jsonl import loads_json
from agentkit.finetune.config import FinetuneConfig, LoraConfig
from agentkit.models.adapter_meta import check_base, model_fingerprint, read_meta
from agentkit.models.gguf_cache import converted_folder
from agentkit.models.loading import ModelSource, quiet_progress, resolve_source
from agentkit.threads import choose_torch_threads


@dataclass
class Base:
    """A loaded base model, its tokenizer, where it came from and its fingerprint."""

    model: PreTrainedModel
    tokenizer: PreTrainedTokenizerBase
    source: ModelSource
    label: str
    sha256: str


def base_identity(base_model: str | None) -> tuple[ModelSource, str, str]:
    """(source, label, sha256) of a configured base model; clear error when it is missing."""
    source = resolve_source(base_model)
    label = base_model or f"{source.name} (bundled default)"
    return source, label, model_fingerprint(source)


def weights_folder(source: ModelSource) -> str:
    """A transformers-loadable location: the converted safetensors copy for a GGUF."""
    return str(converted_folder(Path(source.location))) if source.kind == "gguf" else source.location


def load_base(config: FinetuneConfig) -> Base:
    """Load the configured base for training (fp32, or nf4 4-bit when `qlora`)."""
    choose_torch_threads()
    source, label, sha = base_identity(config.base_model)
    folder = weights_folder(source)
    kwargs: dict[str, Any] = {}
    if config.qlora:
        kwargs = {"quantization_config": _four_bit(), "device_map": "cpu" if not torch.cuda.is_available() else "auto"}
    try:
        with quiet_progress():
            tokenizer = AutoTokenizer.from_pretrained(folder)
            model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32, **kwargs)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"base_model {label!r} could not be loaded ({exc}); give a local HF folder, "
                          f"a .gguf file, a cached hub id, or leave base_model unset") from None
    if config.qlora:
        from peft import prepare_model_for_kbit_training

        model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=False)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return Base(model, tokenizer, source, label, sha)


def _four_bit() -> Any:
    try:
        import bitsandbytes  # noqa: F401
    except ImportError:
        raise ConfigError("qlora: true needs bitsandbytes; install it with "
                          "`pip install 'agentkit[qlora]'` or set qlora: false") from None
    from transformers import BitsAndBytesConfig

    return BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4",
                              bnb_4bit_compute_dtype=torch.float32)


def lora_config(config: FinetuneConfig) -> Any:
    """peft's LoraConfig from the `lora:` section."""
    from peft import LoraConfig, TaskType

    return LoraConfig(r=config.lora.rank, lora_alpha=config.lora.alpha, lora_dropout=config.lora.dropout,
                      target_modules=list(config.lora.target_modules), task_type=TaskType.CAUSAL_LM)


def inherit_lora(config: FinetuneConfig) -> FinetuneConfig:
    """With `init_adapter`, training goes on with that adapter's LoRA settings: the config
    records them, and a `lora:` section that says otherwise is refused."""
    if not config.init_adapter:
        return config
    folder = config.path_of(config.init_adapter)
    read_meta(folder)  # a clear error for a folder that is not an adapter
    try:
        saved = loads_json((folder / "adapter_config.json").read_text(encoding="utf-8"))
        theirs = LoraConfig(rank=saved["r"], alpha=saved["lora_alpha"], dropout=saved["lora_dropout"],
                            target_modules=sorted(saved["target_modules"]))
    except (ValueError, KeyError, TypeError) as exc:  # JSON and pydantic errors are ValueErrors
        raise ConfigError(f"{folder / 'adapter_config.json'}: not a LoRA adapter config ({exc}); give "
                          f"init_adapter a folder written by `agentkit finetune`") from None
    ours = config.lora.model_copy(update={"target_modules": sorted(config.lora.target_modules)})
    if "lora" in config.model_fields_set and ours != theirs:
        raise ConfigError(
            f"{config.source}: lora {ours.model_dump()} differs from the settings of init_adapter "
            f"{folder} ({theirs.model_dump()}); training goes on with the adapter's own, so remove "
            f"the `lora:` section or make it match")
    return config.model_copy(update={"lora": theirs})


def check_target_modules(model: PreTrainedModel, modules: list[str], where: str) -> None:
    """Every LoRA target names a module of the model (else: which exist)."""
    names = {name.rsplit(".", 1)[-1] for name, _ in model.named_modules()}
    missing = [m for m in modules if m not in names]
    if missing:
        linear = sorted({n.rsplit(".", 1)[-1] for n, m in model.named_modules()
                         if isinstance(m, torch.nn.Linear) and "." in n})
        raise ConfigError(f"{where}: lora.target_modules {missing} are not modules of this model; "
                          f"its linear layers are: {', '.join(linear)}")


def with_adapter(base: Base, folder: Path) -> Any:
    """The base with a trainable copy of the adapter in `folder` (refused if trained on another base)."""
    from peft import PeftModel

    meta = read_meta(folder)
    check_base(meta, folder, base.sha256, base.label)
    return PeftModel.from_pretrained(base.model, str(folder), is_trainable=True)

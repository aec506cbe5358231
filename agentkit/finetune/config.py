"""Fine-tuning config files (`finetune/NAME.yaml`): base model, data, LoRA/QLoRA and the
training schedule, validated by pydantic; errors name file:line:key like graph files."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agentkit.errors import ConfigError, GraphSpecError, Problem, YamlFileError, read_text
from agentkit.spec.loader import SourceMap, parse_yaml, validation_problems

Method = Literal["sft", "dpo"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DataFile(_Strict):
    """One JSONL file and where it came from (copied into the model card)."""

    path: str = Field(min_length=1, description="relative to the config file")
    source: str = Field(default="", description="where the data came from (URL, data set name)")
    license: str = Field(default="unknown", description="the data's license (e.g. CC0-1.0)")


class DataConfig(_Strict):
    """Training data: JSONL rows (`messages`, `prompt`/`completion`, or `prompt`/`chosen`/`rejected`)."""

    files: list[DataFile] = Field(min_length=1)
    eval_fraction: float = Field(default=0.1, ge=0, lt=1, description="held out by `train.seed`")
    eval_max_rows: int = Field(default=200, ge=1, description="cap on the held-out split")
    max_rows: int | None = Field(default=None, ge=1, description="use at most this many rows")
    max_bad_fraction: float = Field(default=0.05, ge=0, le=1,
                                    description="fail when more rows than this are malformed")


class LoraConfig(_Strict):
    """LoRA adapter shape."""

    rank: int = Field(default=8, ge=1, le=1024)
    alpha: float = Field(default=16, gt=0)
    dropout: float = Field(default=0.05, ge=0, lt=1)
    target_modules: list[str] = Field(default_factory=lambda: ["q_proj", "v_proj"], min_length=1)


class TrainConfig(_Strict):
    """Schedule and optimiser. `steps` (when set) overrides `epochs`."""

    epochs: float = Field(default=1.0, gt=0)
    steps: int | None = Field(default=None, ge=1)
    batch_size: int = Field(default=4, ge=1)
    grad_accum: int = Field(default=1, ge=1)
    lr: float = Field(default=2e-4, gt=0, lt=1)
    warmup_ratio: float = Field(default=0.0, ge=0, lt=1)
    seed: int = 0
    max_length: int = Field(default=256, ge=8, description="tokens per row (prompt + completion)")
    save_every: int = Field(default=50, ge=1, description="checkpoint every N optimizer steps")
    eval_every: int = Field(default=50, ge=1, description="eval loss every N steps (and at the end)")
    keep_checkpoints: int = Field(default=2, ge=1)
    gradient_checkpointing: bool = Field(
        default=False, description="recompute activations in the backward pass: less memory, ~1/3 more "
                                   "compute (TRL's default; worth it for big models on a GPU, not here)")


class DpoConfig(_Strict):
    """DPO settings (the adapter-disabled model is the reference)."""

    beta: float = Field(default=0.1, gt=0)


class FinetuneConfig(_Strict):
    """A whole fine-tuning run."""

    name: str = Field(default="", pattern=r"^[A-Za-z0-9_.-]*$", description="defaults to the file's stem")
    method: Method | None = Field(default=None, description="sft or dpo; must match the command")
    description: str = ""
    base_model: str | None = Field(default=None, description="unset = the bundled SmolLM2; a folder, .gguf or hub id")
    init_adapter: str | None = Field(default=None, description="start from this adapter folder (e.g. DPO after SFT)")
    output: str = Field(default="", description="adapter folder; default adapters/NAME next to the config")
    qlora: bool = Field(default=False, description="4-bit nf4 base via bitsandbytes")
    data: DataConfig
    lora: LoraConfig = Field(default_factory=LoraConfig)
    train: TrainConfig = Field(default_factory=TrainConfig)
    dpo: DpoConfig = Field(default_factory=DpoConfig)
    base_dir: Path = Field(default=Path("."), exclude=True)
    source: str = Field(default="", exclude=True)

    def path_of(self, value: str) -> Path:
        """A path from the config, relative to the config file."""
        path = Path(value).expanduser()
        return path if path.is_absolute() else self.base_dir / path

    def output_dir(self) -> Path:
        """Where the adapter folder goes."""
        return self.path_of(self.output or f"adapters/{self.name}")


class FinetuneConfigError(YamlFileError):
    """A fine-tuning config is not valid: every problem with its file:line:key."""

    what = "fine-tuning config"


def load_config(path: Path, method: Method, overrides: list[str] | None = None,
                **fields: Any) -> FinetuneConfig:
    """Read `path`, apply `--set a.b=VALUE` overrides and explicit flags (`fields`, dotted
    keys with None meaning "not given"), validate, and check the method matches."""
    text = read_text(path, "fine-tuning config", "pass a config file such as finetune/polite_tone_sft.yaml")
    try:
        data, source = parse_yaml(text, str(path))
    except GraphSpecError as exc:
        raise FinetuneConfigError(exc.problems) from None
    if not isinstance(data, dict):
        raise FinetuneConfigError([source.problem(
            (), "a fine-tuning config must be a mapping",
            "start with `data: {files: [{path: train.jsonl}]}` (see docs/finetune.md)")])
    for item in overrides or []:
        key, value = _parse_override(item)
        _assign(data, key, value)
    for key, value in fields.items():
        if value is not None:
            _assign(data, tuple(key.split(".")), value)
    try:
        config = FinetuneConfig.model_validate(data)
    except ValidationError as exc:
        raise FinetuneConfigError(_problems(exc, source)) from None
    if config.method is not None and config.method != method:
        raise FinetuneConfigError([source.problem(
            ("method",), f"this config is for `{config.method}`, not `{method}`",
            f"run `agentkit finetune {config.method} {path}`, or change `method:`")])
    config.method = method
    config.name = config.name or path.stem
    config.base_dir = path.resolve().parent
    config.source = str(path)
    return config


def _parse_override(item: str) -> tuple[tuple[str, ...], Any]:
    key, sep, raw = item.partition("=")
    if not sep or not key.strip():
        raise ConfigError(f"--set {item!r}: expected KEY=VALUE, e.g. --set lora.rank=16")
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError:
        value = raw
    return tuple(part.strip() for part in key.split(".")), value


def _assign(data: dict[str, Any], key: tuple[str, ...], value: Any) -> None:
    node = data
    for depth, part in enumerate(key[:-1]):
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise ConfigError(f"--set {'.'.join(key)}: {'.'.join(key[:depth + 1])} is not a section")
        node = child
    node[key[-1]] = value


_SECTIONS: dict[str, type[BaseModel]] = {"data": DataConfig, "lora": LoraConfig, "train": TrainConfig,
                                         "dpo": DpoConfig}


def _allowed(path: tuple[Any, ...]) -> list[str]:
    if path[:2] == ("data", "files") or (len(path) == 4 and path[1] == "files"):
        return list(DataFile.model_fields)
    model = _SECTIONS.get(str(path[0])) if len(path) == 2 else FinetuneConfig
    return [f for f in (model or FinetuneConfig).model_fields if f not in ("base_dir", "source")]


def _problems(exc: ValidationError, source: SourceMap) -> list[Problem]:
    return validation_problems(exc, source, _allowed,
                               missing_hint=lambda path: f"add `{path[-1]}:` at that place (see docs/finetune.md)")

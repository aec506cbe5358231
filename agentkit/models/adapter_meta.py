"""What an adapter folder says about itself, and which base model it was trained on.

An adapter folder is peft's `adapter_config.json` + `adapter_model.safetensors`, plus
`agentkit_adapter.json` (this module's `AdapterMeta`: the exact training config, the
data's source, size and license, the base model's fingerprint, the eval table) and a
model card (`README.md`). The fingerprint is the sha256 of the base model's weight files,
so an adapter built for another base is refused with both hashes named.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError

from agentkit.errors import ConfigError, read_text
from agentkit.models.loading import ModelSource

META_FILE = "agentkit_adapter.json"
WEIGHT_SUFFIXES = (".gguf", ".safetensors", ".bin")
_CHUNK = 1 << 22


class DataSource(BaseModel):
    """One training data set: where it came from, how many rows were used, its license."""

    source: str
    rows: int = Field(ge=0)
    license: str


class EvalRow(BaseModel):
    """One figure of the model card's eval table: base vs adapter on the same data."""

    metric: str
    base: float
    adapter: float
    data: str = ""


class AdapterMeta(BaseModel):
    """The agentkit part of an adapter folder (`agentkit_adapter.json`)."""

    name: str
    method: Literal["sft", "dpo"]
    base_model: str = Field(description="the base model as configured (label, path or hub id)")
    base_model_sha256: str = Field(description="fingerprint of the base weights (model_fingerprint)")
    training: dict[str, Any] = Field(description="the exact training config, CLI overrides applied")
    data: list[DataSource] = Field(default_factory=list)
    evals: list[EvalRow] = Field(default_factory=list)
    starts_from: AdapterMeta | None = Field(
        default=None, description="the description of the adapter training went on from (init_adapter)")
    created: datetime = Field(default_factory=lambda: datetime.now(timezone.utc))

    def stages(self) -> list[AdapterMeta]:
        """The training stages, first to last (this adapter is the last)."""
        return [*(self.starts_from.stages() if self.starts_from else []), self]

    def save(self, folder: Path) -> None:
        """Write `agentkit_adapter.json` into `folder`."""
        (folder / META_FILE).write_text(self.model_dump_json(indent=2) + "\n", encoding="utf-8")


def read_meta(folder: Path) -> AdapterMeta:
    """The adapter's `agentkit_adapter.json` (clear error when missing or malformed)."""
    path = folder / META_FILE
    if not (folder / "adapter_config.json").is_file():
        raise ConfigError(f"{folder}: not an adapter folder (no adapter_config.json); give a folder "
                          f"written by `agentkit finetune`")
    if not path.is_file():
        raise ConfigError(f"{folder}: no {META_FILE}, so the base model it was trained on is unknown; "
                          f"retrain it with `agentkit finetune`")
    text = read_text(path, "adapter description", "retrain the adapter with `agentkit finetune`")
    try:
        return AdapterMeta.model_validate_json(text)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ConfigError(f"{path}: not an agentkit adapter description ({'.'.join(map(str, first['loc']))}: "
                          f"{first['msg']}); retrain the adapter with `agentkit finetune`") from None


def model_fingerprint(source: ModelSource) -> str:
    """sha256 over the base model's weight files (a GGUF file, or a folder's weights in
    name order); hub ids hash their local snapshot. Cached per file size and mtime."""
    files = _weight_files(source)
    digest = hashlib.sha256()
    for file in files:
        digest.update(file.name.encode())
        digest.update(_file_sha256(file).encode())
    return digest.hexdigest()


def check_base(meta: AdapterMeta, folder: Path, fingerprint: str, base_label: str) -> None:
    """Refuse an adapter trained on another base model, naming both models and hashes."""
    if meta.base_model_sha256 != fingerprint:
        raise ConfigError(
            f"adapter {folder} was trained on {meta.base_model} (sha256 {meta.base_model_sha256[:16]}…), "
            f"but the base model here is {base_label} (sha256 {fingerprint[:16]}…); load it on the "
            f"base it was trained on, or retrain it on this one with `agentkit finetune`"
        )


def _weight_files(source: ModelSource) -> list[Path]:
    if source.kind == "gguf":
        return [Path(source.location)]
    folder = Path(source.location) if source.kind == "folder" else _hub_snapshot(source.location)
    files = sorted(p for p in folder.iterdir() if p.suffix in WEIGHT_SUFFIXES and p.is_file())
    if not files:
        raise ConfigError(f"model {source.location}: no weight files ({', '.join(WEIGHT_SUFFIXES)}) in {folder}")
    return files


def _hub_snapshot(repo_id: str) -> Path:
    """The folder of the hub model's local copy (its config's folder); never downloads."""
    from transformers.utils import cached_file

    try:
        return Path(cached_file(repo_id, "config.json", local_files_only=True)).parent
    except Exception as exc:  # not in the local cache: nothing is downloaded here
        raise ConfigError(f"model {repo_id!r} is not in the local Hugging Face cache ({exc}); "
                          f"download it once, or give a local folder") from None


_memo: dict[tuple[str, int, int], str] = {}


def _file_sha256(file: Path) -> str:
    stat = file.stat()
    key = (str(file.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _memo:
        digest = hashlib.sha256()
        with file.open("rb") as handle:
            while block := handle.read(_CHUNK):
                digest.update(block)
        _memo[key] = digest.hexdigest()
    return _memo[key]

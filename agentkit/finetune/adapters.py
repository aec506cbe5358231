"""`agentkit adapters list|show|merge` logic: find adapter folders (shipped and in the
workspace), describe one and check it against the local base, merge one into a
standalone model folder."""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from agentkit.errors import ConfigError
from agentkit.models.adapter_meta import META_FILE, AdapterMeta, check_base, read_meta
from agentkit.models.adapters import adapter_folder, shipped_adapters

MERGED_FILE = "agentkit_merged.json"


@dataclass(frozen=True)
class AdapterInfo:
    """One adapter folder as `adapters list` shows it."""

    name: str
    folder: Path
    origin: str  # "shipped" or "workspace"
    meta: AdapterMeta | None
    problem: str | None
    size_bytes: int


def list_adapters(workspace_dirs: list[Path]) -> list[AdapterInfo]:
    """Shipped adapters, then adapter folders directly under each of `workspace_dirs`."""
    found = [_info(name, folder, "shipped") for name, folder in shipped_adapters().items()]
    for root in workspace_dirs:
        if root.is_dir():
            found += [_info(p.name, p, "workspace") for p in sorted(root.iterdir())
                      if (p / "adapter_config.json").is_file()]
    return found


def _info(name: str, folder: Path, origin: str) -> AdapterInfo:
    try:
        meta, problem = read_meta(folder), None
    except ConfigError as exc:
        meta, problem = None, str(exc)
    size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    return AdapterInfo(meta.name if meta else name, folder, origin, meta, problem, size)


def resolve_adapter(value: str) -> Path:
    """A shipped adapter's name or an adapter folder path."""
    folder = adapter_folder(value)
    if not (folder / "adapter_config.json").is_file():
        raise ConfigError(f"{folder}: not an adapter folder (no adapter_config.json); give a folder "
                          f"written by `agentkit finetune` or a shipped adapter name")
    return folder


def fits_base(meta: AdapterMeta, folder: Path, base_model: str | None) -> str | None:
    """None when `folder` was trained on `base_model`, else the mismatch message."""
    from agentkit.finetune.model import base_identity

    _, label, sha = base_identity(base_model)
    try:
        check_base(meta, folder, sha, label)
    except ConfigError as exc:
        return str(exc)
    return None


def merge_adapter(value: str, out: Path, base_model: str | None = None, int8: bool = False,
                  overwrite: bool = False) -> Path:
    """`merge_and_unload` the adapter into its base and save a standalone transformers folder
    (written to a staging folder, then renamed). `int8` marks it for dynamic int8 loading."""
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from agentkit.finetune.model import base_identity, weights_folder
    from agentkit.models.loading import quiet_progress

    folder = resolve_adapter(value)
    meta = read_meta(folder)
    source, label, sha = base_identity(base_model if base_model is not None else _configured_base(meta))
    check_base(meta, folder, sha, label)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"{out} is a file; give a folder for the merged model")
    if out.exists() and any(out.iterdir()) and not overwrite:
        raise ConfigError(f"{out} exists and is not empty; give a new folder or pass --overwrite")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    except OSError as exc:
        raise ConfigError(f"cannot create the merged model folder {out}: {exc.strerror or exc}; "
                          f"choose a writable place") from None
    try:
        with quiet_progress():
            base = AutoModelForCausalLM.from_pretrained(weights_folder(source), dtype=torch.float32)
            tokenizer = AutoTokenizer.from_pretrained(weights_folder(source))
        merged = PeftModel.from_pretrained(base, str(folder)).merge_and_unload()
        merged.save_pretrained(str(staging))
        tokenizer.save_pretrained(str(staging))
        note = {"adapter": meta.name, "adapter_folder": str(folder), "base_model": meta.base_model,
                "base_model_sha256": meta.base_model_sha256, "int8": int8,
                "load": {"model": str(out), "quantize": int8}}
        (staging / MERGED_FILE).write_text(json.dumps(note, indent=2) + "\n", encoding="utf-8")
        shutil.copy2(folder / META_FILE, staging / f"adapter_{META_FILE}")
        if out.exists():
            shutil.rmtree(out)
        staging.rename(out)
    except OSError as exc:
        raise ConfigError(f"could not write the merged model to {out}: {exc.strerror or exc}") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return out


def _configured_base(meta: AdapterMeta) -> str | None:
    """The base as the training config named it (None = the bundled default)."""
    value = meta.training.get("base_model")
    return value if isinstance(value, str) and value else None

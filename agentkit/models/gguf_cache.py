"""Convert a GGUF checkpoint to a transformers folder once and cache it on disk."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path

from transformers import AutoModelForCausalLM, AutoTokenizer

from agentkit.errors import ConfigError

CACHE_ENV = "AGENTKIT_CACHE_DIR"


def cache_root() -> Path:
    """The agentkit cache folder: `$AGENTKIT_CACHE_DIR`, else `~/.cache/agentkit`."""
    return Path(os.environ.get(CACHE_ENV) or "~/.cache/agentkit").expanduser()


def file_key(path: Path) -> str:
    """A short key of a file as it is now (its path, size and mtime): derived copies of
    it are cached under this key and made again when the file changes."""
    stat = path.stat()
    key = f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"
    return hashlib.sha256(key.encode()).hexdigest()[:12]


def cached_folder_for(gguf: Path) -> Path:
    """Where the converted copy of `gguf` lives (keyed by `file_key`)."""
    return cache_root() / "models" / f"{gguf.stem}-{file_key(gguf)}"


def converted_folder(gguf: Path) -> Path:
    """A transformers folder (fp32 safetensors + tokenizer) for `gguf`, converted once.

    The conversion is written to a temporary sibling folder and renamed into place, so an
    interrupted process never leaves a partial cache behind.
    """
    target = cached_folder_for(gguf)
    if target.is_dir():
        return target
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    except OSError as exc:
        raise ConfigError(
            f"cannot create the model cache under {target.parent}: {exc}; "
            f"set {CACHE_ENV} to a writable folder"
        ) from exc
    try:
        _convert(gguf, staging)
        _publish(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _convert(gguf: Path, folder: Path) -> None:
    """Dequantize `gguf` with transformers and save model + tokenizer into `folder`."""
    try:
        tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
        model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name)
    except Exception as exc:  # the GGUF parser raises struct/Key/Value errors alike
        raise ConfigError(
            f"local model {str(gguf)!r}: cannot read it as a GGUF checkpoint ({exc!r}); "
            "give a complete .gguf of an architecture transformers supports (e.g. llama)"
        ) from exc
    model.hf_quantizer.remove_quantization_config(model)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    folder.chmod(0o755)


def _publish(staging: Path, target: Path) -> None:
    """Atomically move a finished conversion into place (another process may have won)."""
    try:
        staging.rename(target)
    except OSError:
        if not target.is_dir():
            raise

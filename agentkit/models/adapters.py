"""LoRA adapters on a shared base model: load each once, switch per call, never reload.

A base model (`loading.shared_model`) gets one `AdapterHost`. Adapters are added to it
with peft's multi-adapter support (`PeftModel.from_pretrained`, then `load_adapter`);
the LoRA layers live inside the base model itself, so the base weights object stays the
same and every caller of `LoadedModel.model` sees whatever adapter is active. So every
forward pass goes through the host: `with host.use(name): forward(...)` (None: the base)
switches under a lock, lazily (nothing happens when the wanted adapter is already
active; the last one stays active after the call). A model with no adapter loaded is
used without the lock.

An `adapters:` value is a folder path or the name of an adapter shipped in the package
(`agentkit/adapters/<name>/`); a plain name (no slash) means the shipped one.
"""

from __future__ import annotations

import hashlib
import re
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from agentkit.errors import ConfigError
from agentkit.models.adapter_meta import check_base, model_fingerprint, read_meta
from agentkit.models.config import ADAPTER_NAME
from agentkit.models.loading import LoadedModel, ModelSource, resolve_source

SHIPPED_DIR = Path(__file__).resolve().parent.parent / "adapters"
_PLAIN = re.compile(ADAPTER_NAME)


def shipped_adapters() -> dict[str, Path]:
    """The adapters shipped in the package (name -> folder), e.g. `tool_calls`."""
    if not SHIPPED_DIR.is_dir():
        return {}
    return {p.name: p for p in sorted(SHIPPED_DIR.iterdir()) if (p / "adapter_config.json").is_file()}


def adapter_folder(value: str, base_dir: Path | None = None) -> Path:
    """The folder an `adapters:` value names: a shipped adapter's name, or a path
    (relative paths against `base_dir`, else the working directory)."""
    if _PLAIN.match(value):
        shipped = shipped_adapters()
        if value not in shipped:
            known = ", ".join(shipped) or "none are installed"
            raise ConfigError(
                f"adapter {value!r} is not an adapter shipped with agentkit (shipped: {known}); "
                f"give a folder path (e.g. ./{value}) or a shipped name"
            )
        return shipped[value]
    path = Path(value).expanduser()
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    if not path.is_dir():
        raise ConfigError(
            f"adapter folder {str(path)!r} does not exist; give the folder `agentkit finetune` wrote "
            f"(with adapter_config.json), or a shipped adapter name"
        )
    return path.resolve()


_base_only: ContextVar[bool] = ContextVar("agentkit_base_only", default=False)


@contextmanager
def _quiet_peft() -> Iterator[None]:
    """Loading an adapter without a warning that is not the user's concern: peft reads an
    attribute transformers has deprecated."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing", category=FutureWarning)
        yield


@contextmanager
def base_only() -> Iterator[None]:
    """Inside this block every local chat model call answers with the base model
    (`agentkit ask --no-adapter`: compare without adapters)."""
    token = _base_only.set(True)
    try:
        yield
    finally:
        _base_only.reset(token)


def adapters_disabled() -> bool:
    """True inside `base_only()`."""
    return _base_only.get()


class AdapterHost:
    """The adapters loaded into one shared base model, and the lock that switches them."""

    def __init__(self, loaded: LoadedModel, model: str | None) -> None:
        self.loaded = loaded
        self._model_setting = model
        self._lock = threading.Lock()
        self._peft: Any = None
        self._names: dict[Path, str] = {}
        self._active: str | None = None

    def load(self, folder: Path) -> str:
        """Load the adapter in `folder` once (after checking its base model and its weights
        file, outside the lock: generation goes on meanwhile); its peft name."""
        if folder in self._names:
            return self._names[folder]
        check_adapter(folder, resolve_source(self._model_setting))
        with self._lock:
            if folder not in self._names:
                name = "a" + hashlib.sha256(str(folder).encode()).hexdigest()[:12]
                self._add(folder, name)
                self._names[folder] = name
            return self._names[folder]

    def _add(self, folder: Path, name: str) -> None:
        try:
            with _quiet_peft():
                from peft import PeftModel

                if self._peft is None:
                    self._peft = PeftModel.from_pretrained(self.loaded.model, str(folder), adapter_name=name)
                else:
                    self._peft.load_adapter(str(folder), adapter_name=name)
        except Exception as exc:  # peft and safetensors raise many kinds; none may escape raw
            raise ConfigError(f"adapter {folder} could not be loaded into {self.loaded.name} ({exc}); "
                              f"retrain it with `agentkit finetune` on this base model") from None
        self._peft.eval()
        self._peft.base_model.disable_adapter_layers()
        self._active = None

    @contextmanager
    def use(self, name: str | None) -> Iterator[None]:
        """Hold the model with adapter `name` (a peft name from `load`; None: the base) active."""
        if self._peft is None and name is None:  # no adapter layers exist: nothing to switch
            yield
            return
        with self._lock:
            if name != self._active:
                self._switch(name)
            yield

    def _switch(self, name: str | None) -> None:
        tuner = self._peft.base_model
        if name is None:
            tuner.disable_adapter_layers()
        else:
            self._peft.set_adapter(name, inference_mode=True)
            tuner.enable_adapter_layers()
        self._active = name


def check_adapter(folder: Path, base: ModelSource) -> None:
    """Refuse an adapter trained on another base, or whose weights file cannot be read."""
    check_base(read_meta(folder), folder, model_fingerprint(base), base.name)
    _check_weights(folder)


def _check_weights(folder: Path) -> None:
    """Refuse an unreadable adapter weights file before peft puts layers into the base."""
    from safetensors import safe_open

    weights = folder / "adapter_model.safetensors"
    try:
        with safe_open(str(weights), framework="pt") as handle:
            handle.keys()
    except Exception as exc:  # missing, truncated or not safetensors at all
        raise ConfigError(f"adapter {folder}: its weights file {weights.name} cannot be read ({exc}); "
                          f"copy the adapter folder again or retrain it with `agentkit finetune`") from None


_HOSTS: dict[int, AdapterHost] = {}
_HOSTS_LOCK = threading.Lock()


def host_for(loaded: LoadedModel, model: str | None) -> AdapterHost:
    """The one host of a shared loaded model (`model` is its `ChatModelConfig.model`)."""
    with _HOSTS_LOCK:
        host = _HOSTS.get(id(loaded))
        if host is None or host.loaded is not loaded:
            host = _HOSTS[id(loaded)] = AdapterHost(loaded, model)
        return host

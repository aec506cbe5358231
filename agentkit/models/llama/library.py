"""The llama.cpp library (llama-cpp-python), imported on first use, quiet and initialized once."""

from __future__ import annotations

import ctypes
import importlib.util
import threading
from types import ModuleType
from typing import Any

from agentkit.errors import ConfigError

INSTALL_HINT = (
    "install it with `pip install llama-cpp-python` (it builds llama.cpp, ~6 minutes on 2 cores; "
    "`make setup` does it), or set `engine: transformers` on the chat model"
)


class _Library:
    lock = threading.Lock()
    module: ModuleType | None = None
    quiet: Any = None  # the log callback must outlive every call into the library


def available() -> bool:
    """Whether llama-cpp-python is installed (without importing it)."""
    return importlib.util.find_spec("llama_cpp") is not None


def llama_cpp() -> ModuleType:
    """The `llama_cpp` module with its backend initialized and its logging silenced."""
    with _Library.lock:
        if _Library.module is None:
            try:
                import llama_cpp as module
            except ImportError as exc:
                raise ConfigError(f"the llama.cpp engine needs llama-cpp-python ({exc}); {INSTALL_HINT}") from None
            _Library.quiet = module.llama_log_callback(lambda level, text, data: None)
            module.llama_log_set(_Library.quiet, ctypes.c_void_p(0))
            module.llama_backend_init()
            _Library.module = module
        return _Library.module

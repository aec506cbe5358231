"""Thread counts: torch's intra-op threads (chosen once per process when a model or embedder
loads) and llama.cpp's.

`$AGENTKIT_TORCH_THREADS` (a whole number >= 1) sets it. Otherwise a count the user chose
stays (`OMP_NUM_THREADS`/`MKL_NUM_THREADS` in the env, or `torch.set_num_threads` called
before the first load); failing both, a machine with at most 2 cores gets 1 thread and a
larger one keeps torch's default. `bench/torch_threads.py` measured 1 vs 2 threads on a
busy 2-core machine: query embedding p50 59 ms vs 544 ms, a batch of 64 chunks 16 s vs 23 s
(OpenMP threads spin waiting for a core that another process holds).
"""

from __future__ import annotations

import os
import threading

import torch

from agentkit.errors import ConfigError

THREADS_ENV = "AGENTKIT_TORCH_THREADS"
_USER_ENVS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS")
SMALL_MACHINE_CORES = 2


class _Chosen:
    lock = threading.Lock()
    done = False


def usable_cores() -> int:
    """The CPUs this process may run on (its affinity), which is also OpenMP's default."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def choose_torch_threads() -> int:
    """Set torch's thread count as described above (only the first call acts); the count in effect."""
    with _Chosen.lock:
        if not _Chosen.done:
            wanted = _wanted()
            if wanted is not None:
                torch.set_num_threads(wanted)
            _Chosen.done = True
    return torch.get_num_threads()


def _wanted() -> int | None:
    text = os.environ.get(THREADS_ENV, "").strip()
    if text:
        if not text.isdigit() or int(text) < 1:
            raise ConfigError(f"${THREADS_ENV} = {text!r} is not a thread count; set it to a whole number "
                              f"such as 1, or unset it for agentkit's default")
        return int(text)
    if any(os.environ.get(name, "").strip() for name in _USER_ENVS):
        return None
    if torch.get_num_threads() != usable_cores():  # set by the user's code before the first load
        return None
    return 1 if usable_cores() <= SMALL_MACHINE_CORES else None


def llama_threads() -> int:
    """llama.cpp's thread count: 1 on a machine of at most 2 cores, else one per core up to 8.
    On a busy 2-core machine (measured: a server with two other model processes running)
    1 thread decoded 31 tokens/s and 2 threads 7 (llama.cpp's workers spin too); idle, 2
    threads gave 1.45x. `AGENTKIT_LLAMA_THREADS` (through the engine settings) overrides it."""
    cores = usable_cores()
    return 1 if cores <= SMALL_MACHINE_CORES else min(cores, 8)

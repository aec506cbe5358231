"""torch's thread count: chosen once when the embedder or model loads, never over the user's."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
import torch

from agentkit import threads
from agentkit.errors import ConfigError
from agentkit.threads import THREADS_ENV, choose_torch_threads, usable_cores

CHECK = """
import torch
from agentkit.models.config import EmbeddingsConfig
from agentkit.models.embeddings import local_embeddings
{before}
local_embeddings(EmbeddingsConfig()).embed_query("warm")
print(torch.get_num_threads())
"""


def threads_after_loading(env: dict[str, str], before: str = "") -> int:
    """torch's thread count in a fresh process that loaded the default embedder."""
    clean = {k: v for k, v in os.environ.items() if k not in (THREADS_ENV, "OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    done = subprocess.run([sys.executable, "-c", CHECK.format(before=before)], env={**clean, **env},
                          capture_output=True, text=True, timeout=300, check=True)
    return int(done.stdout.split()[-1])


def test_loading_the_embedder_applies_the_default() -> None:
    expected = 1 if usable_cores() <= 2 else usable_cores()
    assert threads_after_loading({}) == expected
    assert threads_after_loading({THREADS_ENV: "2"}) == 2
    assert threads_after_loading({"OMP_NUM_THREADS": "2"}) == 2  # the user's choice stays
    assert threads_after_loading({}, f"torch.set_num_threads({usable_cores() + 1})") == usable_cores() + 1


@pytest.fixture
def fresh(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A process that has not chosen yet, with torch's default count; restored afterwards."""
    before = torch.get_num_threads()
    for name in (THREADS_ENV, "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(threads._Chosen, "done", False)
    torch.set_num_threads(usable_cores())
    yield
    torch.set_num_threads(before)


def test_only_the_first_choice_acts(fresh: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(THREADS_ENV, "3")
    assert choose_torch_threads() == 3
    monkeypatch.setenv(THREADS_ENV, "1")
    assert choose_torch_threads() == 3  # later loads leave it


@pytest.mark.parametrize("value", ["two", "0", "-1", "1.5"])
def test_a_bad_thread_count_is_a_config_error(fresh: None, monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv(THREADS_ENV, value)
    with pytest.raises(ConfigError, match=rf"\$AGENTKIT_TORCH_THREADS = '{value}' is not a thread count"):
        choose_torch_threads()
    assert torch.get_num_threads() == usable_cores()

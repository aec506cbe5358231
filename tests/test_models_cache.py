"""The GGUF -> transformers conversion is cached on disk, atomically, and reused."""

from __future__ import annotations

import os
import re
import shutil
import time
from pathlib import Path

import pytest

from agentkit.errors import ConfigError
from agentkit.models.gguf_cache import CACHE_ENV, _publish, cached_folder_for, converted_folder
from agentkit.models.loading import default_gguf_path, load_model

pytestmark = pytest.mark.model


def test_conversion_is_cached_and_reused(model_cache: Path) -> None:
    folder = converted_folder(default_gguf_path())  # converts (~15 s) unless done already
    assert folder.parent == model_cache / "models"
    assert re.fullmatch(r"SmolLM2-135M-Instruct\.Q4_1-[0-9a-f]{12}", folder.name)
    assert {"config.json", "model.safetensors", "tokenizer.json"} <= set(os.listdir(folder))
    assert [p.name for p in folder.parent.iterdir()] == [folder.name]  # no staging left
    stamp = folder.stat().st_mtime_ns

    started = time.perf_counter()
    assert converted_folder(default_gguf_path()) == folder
    loaded = load_model()
    assert time.perf_counter() - started < 10  # ~0.5 s: no re-conversion
    assert folder.stat().st_mtime_ns == stamp
    assert getattr(loaded.model.config, "quantization_config", None) is None
    assert not loaded.model.training


def test_cache_key_follows_the_source_file(model_cache: Path, tmp_path: Path) -> None:
    copy = tmp_path / "SmolLM2-135M-Instruct.Q4_1.gguf"
    shutil.copyfile(default_gguf_path(), copy)
    before = cached_folder_for(copy)
    assert before != cached_folder_for(default_gguf_path())
    os.utime(copy, ns=(1_000_000_000, 1_000_000_000))
    assert cached_folder_for(copy) != before


def test_failed_conversion_leaves_no_partial_cache(model_cache: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"GGUF" + bytes(7))
    with pytest.raises(ConfigError, match="cannot read it as a GGUF"):
        converted_folder(broken)
    target = cached_folder_for(broken)
    assert not target.exists()
    assert not [p for p in target.parent.iterdir() if p.name.startswith(f".{target.name}")]


def test_publish_keeps_the_cache_another_process_finished_first(tmp_path: Path) -> None:
    target, staging = tmp_path / "model", tmp_path / ".model.tmp"
    for folder, text in ((target, "winner"), (staging, "loser")):
        folder.mkdir()
        (folder / "config.json").write_text(text)
    _publish(staging, target)
    assert (target / "config.json").read_text() == "winner"


def test_unwritable_cache_dir_is_a_config_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv(CACHE_ENV, str(blocker))
    with pytest.raises(ConfigError, match=CACHE_ENV):
        converted_folder(default_gguf_path())

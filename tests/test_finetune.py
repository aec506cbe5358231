"""`agentkit finetune` with the real local model, a few steps at a tiny sequence length:
SFT (traced into a real Phoenix), DPO and QLoRA (bitsandbytes 4-bit on CPU) write
loadable adapter folders; Ctrl-C (a real
SIGINT to a subprocess) leaves a usable checkpoint that --resume continues; a full disk
during a checkpoint keeps the previous one; bad rows are reported with line numbers."""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from phoenix_server import fetch_spans
from typer.testing import CliRunner

from agentkit.cli.app import app
from agentkit.finetune.checkpoints import complete_checkpoints, latest_checkpoint
from agentkit.finetune.config import load_config
from agentkit.finetune.data import load_data
from agentkit.models.adapter_meta import read_meta

pytestmark = pytest.mark.model
DATA = Path(__file__).parent / "data" / "finetune"


def write_config(folder: Path, data: str, *, steps: int, extra: str = "", max_length: int = 96) -> Path:
    path = folder / "cfg.yaml"
    path.write_text(
        f"name: tiny\ndata:\n  files:\n    - path: {DATA / data}\n      source: ParaDetox\n"
        f"      license: CC0-1.0\n  eval_fraction: 0.25\n  eval_max_rows: 2\n"
        f"lora: {{rank: 4, alpha: 8}}\n"
        f"train:\n  steps: {steps}\n  batch_size: 2\n  max_length: {max_length}\n  save_every: 1\n  eval_every: 2\n"
        f"output: out\n{extra}", encoding="utf-8")
    return path


def lora_b_norm(folder: Path) -> float:
    from safetensors.torch import load_file

    weights = load_file(str(folder / "adapter_model.safetensors"))
    return sum(float(t.norm()) for k, t in weights.items() if "lora_B" in k)


def test_sft_writes_a_traced_loadable_adapter(workspace: Path, phoenix_server: str,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PHOENIX_COLLECTOR_ENDPOINT", phoenix_server)
    config = write_config(workspace, "tone_chat.jsonl", steps=2)
    result = CliRunner().invoke(app, ["finetune", "sft", str(config), "--phoenix-project", "ft-test"])
    assert result.exit_code == 0, result.output
    out = workspace / "out"
    assert "adapter tiny (sft, 2 steps" in result.output
    assert {p.name for p in out.iterdir()} >= {"adapter_config.json", "adapter_model.safetensors",
                                               "agentkit_adapter.json", "README.md", "loss.png"}
    assert not (out / "checkpoints").exists()
    meta = read_meta(out)
    assert meta.method == "sft" and meta.training["lora"]["rank"] == 4
    assert meta.data[0].rows == 8 and meta.data[0].license == "CC0-1.0"
    card = (out / "README.md").read_text()
    assert meta.base_model_sha256 in card and "ParaDetox | 8 | CC0-1.0" in card
    assert lora_b_norm(out) > 0  # LoRA B starts at zero: the steps changed it
    evals = [s for s in fetch_spans(phoenix_server, "ft-test", 2) if s["name"] == "finetune.eval"]
    assert [e["attributes"]["finetune.step"] for e in evals] == [2]
    assert 0 < evals[0]["attributes"]["finetune.eval_loss"] < 20


def test_dpo_trains_against_the_adapter_disabled_reference(workspace: Path) -> None:
    from peft import PeftModel

    from agentkit.finetune.model import load_base
    from agentkit.finetune.train import run_finetune

    config = load_config(write_config(workspace, "tone_dpo.jsonl", steps=1), "dpo")
    result = run_finetune(config, trace_project=None)
    assert result.steps == 1 and result.tokens_per_s and result.train_loss is not None
    out = workspace / "out"
    assert read_meta(out).method == "dpo" and not (out / "ref").exists()
    base = load_base(config)
    model = PeftModel.from_pretrained(base.model, str(out))
    ids = base.tokenizer("Be polite please.", return_tensors="pt").input_ids
    with torch.no_grad():
        tuned = model(ids).logits
        with model.disable_adapter():
            plain = model(ids).logits
    assert not torch.allclose(tuned, plain)


def test_init_adapter_goes_on_with_its_own_lora_settings(workspace: Path) -> None:
    from agentkit.errors import ConfigError
    from agentkit.finetune.train import run_finetune

    first = load_config(write_config(workspace, "tone_chat.jsonl", steps=1), "sft")
    run_finetune(first, trace_project=None)
    (workspace / "next.yaml").write_text(
        f"init_adapter: out\ndata:\n  files: [{{path: {DATA / 'tone_chat.jsonl'}}}]\n"
        "train: {steps: 1, max_length: 96}\noutput: next\n", encoding="utf-8")
    run_finetune(load_config(workspace / "next.yaml", "sft"), trace_project=None)
    meta = read_meta(workspace / "next")
    recorded = meta.training["lora"]
    assert recorded["rank"] == 4 and recorded["alpha"] == 8 and recorded["target_modules"] == ["q_proj", "v_proj"]
    assert [stage.name for stage in meta.stages()] == ["tiny", "next"] and meta.starts_from is not None
    assert meta.starts_from.data[0].source == "ParaDetox" and meta.starts_from.training["train"]["steps"] == 1
    assert "## Training stages" in (workspace / "next" / "README.md").read_text()
    (workspace / "clash.yaml").write_text(
        (workspace / "next.yaml").read_text() + "lora: {rank: 16}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        run_finetune(load_config(workspace / "clash.yaml", "sft", output="clash"), trace_project=None)
    assert "'rank': 16" in str(error.value) and "'rank': 4" in str(error.value) and "remove" in str(error.value)
    assert not (workspace / "clash").exists()
    shutil.copytree(workspace / "out", workspace / "broken")
    (workspace / "broken" / "adapter_config.json").write_text("{", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"broken/adapter_config.json: not a LoRA adapter config"):
        run_finetune(load_config(workspace / "next.yaml", "sft", init_adapter="broken", output="b"),
                     trace_project=None)


def test_qlora_trains_on_a_4bit_base_and_fits_the_full_precision_one(workspace: Path) -> None:
    import bitsandbytes as bnb
    from peft import PeftModel

    from agentkit.finetune.model import load_base

    config = write_config(workspace, "tone_chat.jsonl", steps=1, extra="qlora: true\n")
    result = CliRunner().invoke(app, ["finetune", "sft", str(config), "--no-trace"])
    assert result.exit_code == 0, result.output
    out = workspace / "out"
    assert read_meta(out).training["qlora"] is True and lora_b_norm(out) > 0
    quantized = load_base(load_config(config, "sft"))
    assert any(isinstance(m, bnb.nn.Linear4bit) for m in quantized.model.modules())
    shown = CliRunner().invoke(app, ["adapters", "show", str(out)])
    assert shown.exit_code == 0 and "fits the base model: yes" in shown.output, shown.output
    plain = load_base(load_config(write_config(workspace, "tone_chat.jsonl", steps=1), "sft"))
    model = PeftModel.from_pretrained(plain.model, str(out))  # served on the unquantized base
    ids = plain.tokenizer("Be polite please.", return_tensors="pt").input_ids
    with torch.no_grad():
        tuned = model(ids).logits
        with model.disable_adapter():
            assert not torch.allclose(tuned, model(ids).logits)


def test_sigint_leaves_a_checkpoint_that_resume_continues(workspace: Path) -> None:
    config = write_config(workspace, "tone_sft.jsonl", steps=50)
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    process = subprocess.Popen([sys.executable, "-m", "agentkit", "finetune", "sft", str(config), "--no-trace"],
                               cwd=workspace, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 240
    while not complete_checkpoints(workspace / "out") and time.monotonic() < deadline:
        time.sleep(0.2)
    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=120)
    assert process.returncode == 130, output
    assert "interrupted" in output and "--resume" in output and "Traceback" not in output
    checkpoint = latest_checkpoint(workspace / "out")
    assert checkpoint is not None
    stopped = json.loads((checkpoint / "trainer_state.json").read_text())["global_step"]
    assert 1 <= stopped < 50
    result = CliRunner().invoke(app, ["finetune", "sft", str(config), "--resume", "--no-trace",
                                      "--steps", str(stopped + 1)])
    assert result.exit_code == 0, result.output
    log = json.loads((workspace / "out" / "training_log.json").read_text())
    assert [h["step"] for h in log if "loss" in h][-1] == stopped + 1
    assert read_meta(workspace / "out").training["train"]["steps"] == stopped + 1


def test_full_disk_during_a_checkpoint_keeps_the_previous_one(workspace: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from transformers import Trainer

    config = write_config(workspace, "tone_sft.jsonl", steps=3)
    real = Trainer._save_optimizer_and_scheduler

    def fill_disk(self: Trainer, output_dir: str) -> None:
        if self.state.global_step == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        real(self, output_dir)

    monkeypatch.setattr(Trainer, "_save_optimizer_and_scheduler", fill_disk)
    result = CliRunner().invoke(app, ["finetune", "sft", str(config), "--no-trace"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    flat = " ".join(result.output.split())
    assert "the disk is full" in flat and "checkpoint-1 is intact" in flat
    assert [p.name for p in complete_checkpoints(workspace / "out")] == ["checkpoint-1"]
    assert not (workspace / "out" / "checkpoints" / ".staging").exists()
    monkeypatch.setattr(Trainer, "_save_optimizer_and_scheduler", real)
    result = CliRunner().invoke(app, ["finetune", "sft", str(config), "--no-trace", "--resume"])
    assert result.exit_code == 0, result.output
    assert "3 steps" in result.output


def test_bad_rows_are_reported_with_line_numbers_and_skipped(workspace: Path) -> None:
    rows = (DATA / "tone_sft.jsonl").read_text().splitlines()
    rows[3] = "{broken"
    rows[7] = json.dumps({"prompt": "  ", "completion": "x"})
    (workspace / "rows.jsonl").write_text("\n".join(rows) + "\n")
    (workspace / "cfg.yaml").write_text("data:\n  files: [{path: rows.jsonl}]\n  max_bad_fraction: 0.2\n")
    data = load_data(load_config(workspace / "cfg.yaml", "sft"), "sft")
    assert [(b.line, b.reason) for b in data.bad] == [(4, "not valid JSON (Expecting property name enclosed in "
                                                          "double quotes at column 2)"), (8, "'prompt' is empty")]
    assert len(data.train) + len(data.eval) == 14 and len(data.eval) == 1

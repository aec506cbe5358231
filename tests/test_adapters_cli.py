"""`agentkit adapters list|show|record-eval|merge` on an adapter trained here for one step (real
model): the merged folder gives the adapter's logits; another base's adapter is refused
naming both hashes (show, merge, and as a DPO starting point)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from agentkit.cli.app import app

pytestmark = pytest.mark.model
DATA = Path(__file__).parent / "data" / "finetune"
OTHER = "0" * 64


@pytest.fixture(scope="module")
def adapter(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("adapter")
    (folder / "cfg.yaml").write_text(
        f"name: tiny\ndata:\n  files: [{{path: {DATA / 'tone_chat.jsonl'}, license: CC0-1.0}}]\n"
        "  eval_fraction: 0\ntrain: {steps: 1, batch_size: 2, max_length: 96}\noutput: tiny\n")
    result = CliRunner().invoke(app, ["finetune", "sft", str(folder / "cfg.yaml"), "--no-trace"])
    assert result.exit_code == 0, result.output
    return folder / "tiny"


def foreign(adapter: Path, workspace: Path) -> Path:
    copy = workspace / "adapters" / "foreign"
    shutil.copytree(adapter, copy)
    meta = json.loads((copy / "agentkit_adapter.json").read_text())
    meta["base_model_sha256"] = OTHER
    (copy / "agentkit_adapter.json").write_text(json.dumps(meta))
    return copy


def test_list_and_show(adapter: Path, workspace: Path) -> None:
    shutil.copytree(adapter, workspace / "adapters" / "tiny")
    listed = CliRunner().invoke(app, ["adapters", "list"])
    assert listed.exit_code == 0 and "tiny" in listed.output and "workspace" in listed.output
    shown = CliRunner().invoke(app, ["adapters", "show", str(adapter)])
    assert shown.exit_code == 0, shown.output
    assert "fits the base model: yes" in shown.output and "license CC0-1.0" in shown.output


def test_merge_gives_the_adapter_logits(adapter: Path, workspace: Path) -> None:
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    from agentkit.models.loading import load_model

    result = CliRunner().invoke(app, ["adapters", "merge", str(adapter), "merged", "--int8"])
    assert result.exit_code == 0, result.output
    assert "quantize: true" in result.output
    merged = load_model(str(workspace / "merged"))
    base = load_model(None)
    peft_model = PeftModel.from_pretrained(base.model, str(adapter))
    ids = merged.tokenizer("Please delete the page.", return_tensors="pt").input_ids
    with torch.no_grad():
        assert torch.allclose(merged.model(ids).logits, peft_model(ids).logits, atol=1e-4)
    assert isinstance(AutoModelForCausalLM.from_pretrained(workspace / "merged"), torch.nn.Module)
    assert json.loads((workspace / "merged" / "agentkit_merged.json").read_text())["int8"] is True


def test_adapter_for_another_base_is_refused_naming_both_hashes(adapter: Path, workspace: Path) -> None:
    copy = foreign(adapter, workspace)
    base_sha = json.loads((adapter / "agentkit_adapter.json").read_text())["base_model_sha256"]
    shown = CliRunner().invoke(app, ["adapters", "show", str(copy)])
    flat = " ".join(shown.output.split())
    assert "does not fit" in flat and OTHER[:16] in flat and base_sha[:16] in flat
    merged = CliRunner().invoke(app, ["adapters", "merge", str(copy), "out"])
    flat = " ".join(merged.output.split())
    assert merged.exit_code == 1 and OTHER[:16] in flat and base_sha[:16] in flat
    assert not (workspace / "out").exists()
    (workspace / "dpo.yaml").write_text(
        f"init_adapter: {copy}\ndata:\n  files: [{{path: {DATA / 'tone_dpo.jsonl'}}}]\n"
        "train: {steps: 1, max_length: 96}\noutput: dpo_out\n")
    dpo = CliRunner().invoke(app, ["finetune", "dpo", "dpo.yaml", "--no-trace"])
    flat = " ".join(dpo.output.split())
    assert dpo.exit_code == 1 and "was trained on" in flat and OTHER[:16] in flat and base_sha[:16] in flat
    assert "Traceback" not in dpo.output


def bfcl_result(path: Path, accuracy: float, data: str = "heldout") -> Path:
    from agentkit.evals.results import EvalResult

    EvalResult(suite="bfcl", kind="bfcl", config={"data": f"build/{data}", "limit": 5},
               metrics={"accuracy": accuracy, "simple_python/accuracy": accuracy + 0.1,
                        "latency_s": 3.0}).save(path)
    return path


def test_record_eval_writes_the_card_table_and_refuses_other_data(adapter: Path, tmp_path: Path) -> None:
    folder = tmp_path / "tiny"
    shutil.copytree(adapter, folder)
    base, tuned = bfcl_result(tmp_path / "b.json", 0.3), bfcl_result(tmp_path / "a.json", 0.5)
    done = CliRunner().invoke(app, ["adapters", "record-eval", str(folder), str(base), str(tuned),
                                    "--metric", "*accuracy"])
    assert done.exit_code == 0, done.output
    card = (folder / "README.md").read_text()
    assert "| accuracy | bfcl heldout, limit 5 | 0.300 | 0.500 | +0.200 |" in card
    assert "| simple_python/accuracy | bfcl heldout, limit 5 | 0.400 | 0.600 | +0.200 |" in card
    assert "latency_s" not in card
    again = CliRunner().invoke(app, ["adapters", "record-eval", str(folder), str(base),
                                     str(bfcl_result(tmp_path / "a2.json", 0.6)), "--metric", "accuracy"])
    assert again.exit_code == 0, again.output
    evals = json.loads((folder / "agentkit_adapter.json").read_text())["evals"]
    assert [(e["metric"], e["adapter"]) for e in evals] == [("simple_python/accuracy", 0.6), ("accuracy", 0.6)]
    other = CliRunner().invoke(app, ["adapters", "record-eval", str(folder), str(base),
                                     str(bfcl_result(tmp_path / "o.json", 0.9, data="train"))])
    assert other.exit_code == 1
    assert "data differs: 'build/heldout' vs 'build/train'" in other.output
    assert json.loads((folder / "agentkit_adapter.json").read_text())["evals"] == evals

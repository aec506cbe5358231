"""Bad input for `agentkit finetune` and `agentkit adapters`: config files, overrides,
data rows, output folders, adapter folders.

Each fails before any training step, names file:line (config) or file:line (data row)
where a file is at fault, and changes nothing on disk."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from harness import assert_clear_failure, run_cli, tree_digest

GOOD_ROW = json.dumps({"prompt": "shut up", "completion": "Please be quiet."})
GOOD = ("name: t\ndata:\n  files:\n    - path: rows.jsonl\n      license: CC0-1.0\n"
        "train:\n  steps: 1\n  max_length: 32\n")

CASES = [
    pytest.param(GOOD + "lorra:\n  rank: 4\n", [GOOD_ROW] * 4, [], 1,
                 ["cfg.yaml:9: lorra: unknown key", "did you mean 'lora'"], id="unknown-key"),
    pytest.param(GOOD + "lora:\n  rank: 0\n", [GOOD_ROW] * 4, [], 1,
                 ["cfg.yaml:10: lora.rank", "greater than or equal to 1"], id="bad-value"),
    pytest.param(GOOD.replace("steps: 1", "stepz: 1"), [GOOD_ROW] * 4, [], 1,
                 ["cfg.yaml:7: train.stepz: unknown key", "did you mean 'steps'"], id="unknown-train-key"),
    pytest.param("data: [x\n", [], [], 1, ["cfg.yaml:2", "malformed YAML"], id="bad-yaml"),
    pytest.param("- data\n", [], [], 1, ["a fine-tuning config must be a mapping"], id="not-a-mapping"),
    pytest.param("name: t\n", [], [], 1, ["required key 'data' is missing"], id="no-data"),
    pytest.param(GOOD + "method: dpo\n", [GOOD_ROW] * 4, [], 1,
                 ["cfg.yaml:9: method", "this config is for `dpo`, not `sft`"], id="method-mismatch"),
    pytest.param(None, [], [], 1, ["cannot read fine-tuning config"], id="missing-config"),
    pytest.param(GOOD, [GOOD_ROW] * 4, ["--set", "lora.rank"], 1,
                 ["--set 'lora.rank': expected KEY=VALUE"], id="set-without-value"),
    pytest.param(GOOD, [GOOD_ROW] * 4, ["--set", "lora.rank=-3"], 1,
                 ["lora.rank", "greater than or equal to 1"], id="set-bad-value"),
    pytest.param(GOOD, None, [], 1, ["rows.jsonl does not exist", "data.files[].path"], id="missing-data"),
    pytest.param(GOOD, [""], [], 1, ["rows.jsonl: the data file has no rows"], id="empty-data"),
    pytest.param(GOOD, [GOOD_ROW, "{not json", json.dumps({"prompt": "x", "completion": ""}),
                        json.dumps({"messages": [{"role": "user", "content": "hi"}]}), GOOD_ROW], [], 1,
                 ["3 of 5 data rows are malformed", "rows.jsonl:2: not valid JSON",
                  "rows.jsonl:3: 'completion' is empty",
                  "rows.jsonl:4: the last message must be the assistant's answer",
                  "raise data.max_bad_fraction"], id="too-many-bad-rows"),
    pytest.param(GOOD, [json.dumps({"prompt": "x", "chosen": "a", "rejected": "b"})] * 2, [], 1,
                 ["2 of 2 data rows are malformed", "rows.jsonl:1: missing 'completion'"], id="dpo-rows-for-sft"),
    pytest.param(GOOD, [GOOD_ROW] * 4, ["--resume"], 1,
                 ["--resume: no complete checkpoint in", "run without --resume"], id="resume-nothing"),
    pytest.param(GOOD, [GOOD_ROW] * 4, ["--base-model", "./no/such/model"], 1,
                 ["local model './no/such/model': not a HF model folder"], id="missing-base-model"),
]


@pytest.mark.parametrize("config, rows, flags, code, fragments", CASES)
def test_bad_finetune(workspace: Path, config: str | None, rows: list[str] | None, flags: list[str],
                      code: int, fragments: list[str]) -> None:
    if config is not None:
        (workspace / "cfg.yaml").write_text(config, encoding="utf-8")
    if rows is not None:
        (workspace / "rows.jsonl").write_text("\n".join(rows) + "\n", encoding="utf-8")
    before = tree_digest(workspace)
    outcome = run_cli("finetune", "sft", "cfg.yaml", "--no-trace", *flags)
    assert_clear_failure(outcome, code, *fragments)
    assert tree_digest(workspace) == before
    assert not (workspace / "adapters").exists()


def test_existing_adapter_is_not_replaced(workspace: Path) -> None:
    (workspace / "cfg.yaml").write_text(GOOD, encoding="utf-8")
    (workspace / "rows.jsonl").write_text(GOOD_ROW + "\n", encoding="utf-8")
    done = workspace / "adapters" / "t"
    done.mkdir(parents=True)
    (done / "adapter_config.json").write_text("{}", encoding="utf-8")
    before = tree_digest(workspace)
    outcome = run_cli("finetune", "sft", "cfg.yaml", "--no-trace")
    assert_clear_failure(outcome, 1, "already holds a trained adapter", "--overwrite")
    assert tree_digest(workspace) == before


ADAPTER_CASES = [
    pytest.param(["show", "./nope"], 1, ["adapter folder", "does not exist"], id="show-missing"),
    pytest.param(["show", "no_such_adapter"], 1, ["is not an adapter shipped with agentkit"], id="show-unknown-name"),
    pytest.param(["merge", "./nope", "out"], 1, ["does not exist"], id="merge-missing"),
]


@pytest.mark.parametrize("args, code, fragments", ADAPTER_CASES)
def test_bad_adapters(workspace: Path, args: list[str], code: int, fragments: list[str]) -> None:
    before = tree_digest(workspace)
    assert_clear_failure(run_cli("adapters", *args), code, *fragments)
    assert tree_digest(workspace) == before


def test_adapter_without_meta(workspace: Path) -> None:
    folder = workspace / "bare"
    folder.mkdir()
    (folder / "adapter_config.json").write_text("{}", encoding="utf-8")
    before = tree_digest(workspace)
    assert_clear_failure(run_cli("adapters", "merge", "./bare", "out"), 1,
                         "no agentkit_adapter.json", "retrain it with `agentkit finetune`")
    assert tree_digest(workspace) == before


def test_merge_into_a_file_is_a_clear_error(workspace: Path) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tiny_adapters import make_adapter

    make_adapter(workspace / "polite", seed=3)
    (workspace / "out").write_text("not a folder", encoding="utf-8")
    before = tree_digest(workspace)
    assert_clear_failure(run_cli("adapters", "merge", "./polite", "out"), 1, "out is a file",
                         "give a folder for the merged model")
    assert tree_digest(workspace) == before

"""Uploading an eval result to a real Phoenix: dataset (versioned), experiment, evaluations."""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from agentkit.cli.app import app
from agentkit.errors import ConfigError
from agentkit.evals.phoenix import upload
from agentkit.evals.results import EvalResult, ItemRecord
from conftest import REPO

CREATED = datetime(2025, 5, 1, 12, 0, tzinfo=timezone.utc)


def result(suite: str, *, outputs: tuple[str, str] = ("4", "Paris"), extra: bool = False,
           created: datetime = CREATED) -> EvalResult:
    """Two groups, a dict input, a failed item, two per-item metrics."""
    items = [
        ItemRecord(id="q1", group="math", input={"question": "2+2?"}, output=outputs[0], expected="4",
                   scores={"accuracy": float(outputs[0] == "4"), "valid": 1.0}, latency_s=0.5),
        ItemRecord(id="q1", group="geo", input="capital of France?", output=outputs[1], expected="Paris",
                   scores={"accuracy": float(outputs[1] == "Paris"), "valid": 1.0}, latency_s=0.25),
        ItemRecord(id="q2", group="geo", input="capital of Peru?", output=None, expected="Lima",
                   scores={"accuracy": 0.0, "valid": 0.0}, error="model reply was not JSON"),
    ]
    if extra:
        items.append(ItemRecord(id="q3", group="geo", input="capital of Chad?", output="N'Djamena",
                                expected="N'Djamena", scores={"accuracy": 1.0, "valid": 1.0}))
    accuracy = sum(i.scores["accuracy"] for i in items) / len(items)
    return EvalResult(suite=suite, kind="qa", created=created, models={"chat": "SmolLM2-135M"},
                      prompts={"qa": "0123456789ab"}, metrics={"accuracy": accuracy}, items=items)


def get(url: str) -> list[dict]:
    response = httpx.get(url)
    response.raise_for_status()
    return response.json()["data"]


def test_upload_makes_a_dataset_and_an_experiment_with_the_scores(phoenix_server: str) -> None:
    uploaded = upload(result("capitals"), base_url=phoenix_server)
    assert (uploaded.runs, uploaded.evaluations, uploaded.existed) == (3, 6, False)
    assert uploaded.url == f"{phoenix_server}/datasets/{uploaded.dataset_id}/compare?experimentId={uploaded.experiment_id}"
    assert httpx.get(uploaded.url).status_code == 200

    examples = {e["id"]: e for e in get(f"{phoenix_server}/v1/datasets/{uploaded.dataset_id}/examples")["examples"]}
    assert sorted(examples) == ["geo/q1", "geo/q2", "math/q1"]
    assert examples["math/q1"]["input"] == {"question": "2+2?"} and examples["math/q1"]["output"] == {"expected": "4"}
    assert examples["geo/q2"]["input"] == {"input": "capital of Peru?"}
    assert examples["geo/q2"]["metadata"] == {"group": "geo", "id": "q2"}

    records = httpx.get(f"{phoenix_server}/v1/experiments/{uploaded.experiment_id}/json").json()
    by_key = {examples_key(examples, r["example_id"]): r for r in records}
    assert by_key["math/q1"]["output"] == "4" and by_key["geo/q1"]["output"] == "Paris"
    assert by_key["geo/q2"]["error"] == "model reply was not JSON"
    scores = {key: {a["name"]: a["score"] for a in r["annotations"]} for key, r in by_key.items()}
    assert scores == {"math/q1": {"accuracy": 1.0, "valid": 1.0}, "geo/q1": {"accuracy": 1.0, "valid": 1.0},
                      "geo/q2": {"accuracy": 0.0, "valid": 0.0}}
    experiment = get(f"{phoenix_server}/v1/experiments/{uploaded.experiment_id}")
    assert experiment["metadata"]["metrics"] == {"accuracy": pytest.approx(2 / 3)}
    assert experiment["metadata"]["models"] == {"chat": "SmolLM2-135M"}


def examples_key(examples: dict[str, dict], node_id: str) -> str:
    return next(key for key, example in examples.items() if example["node_id"] == node_id)


def test_reuploads_reuse_the_dataset_version_and_the_experiment(phoenix_server: str) -> None:
    first = upload(result("reuse"), base_url=phoenix_server)
    again = upload(result("reuse"), base_url=phoenix_server)
    assert again.existed and (again.experiment_id, again.dataset_version_id) == (first.experiment_id,
                                                                                   first.dataset_version_id)
    later = upload(result("reuse", outputs=("5", "Paris"), created=CREATED + timedelta(hours=1)),
                   base_url=phoenix_server)
    assert later.dataset_version_id == first.dataset_version_id and later.experiment_id != first.experiment_id
    more = upload(result("reuse", extra=True, created=CREATED + timedelta(hours=2)), base_url=phoenix_server)
    assert more.dataset_id == first.dataset_id and more.dataset_version_id != first.dataset_version_id

    versions = get(f"{phoenix_server}/v1/datasets/{first.dataset_id}/versions")
    assert len(versions) == 2
    experiments = get(f"{phoenix_server}/v1/datasets/{first.dataset_id}/experiments")
    assert sorted(e["id"] for e in experiments) == sorted({first.experiment_id, later.experiment_id, more.experiment_id})
    records = httpx.get(f"{phoenix_server}/v1/experiments/{later.experiment_id}/json").json()
    assert sorted((r["output"], {a["name"]: a["score"] for a in r["annotations"]}["accuracy"]) for r in records
                  if r["output"] is not None) == [("5", 0.0), ("Paris", 1.0)]


def test_unreachable_phoenix_or_unkeyed_items_are_clear_errors(phoenix_server: str) -> None:
    from phoenix_server import free_ports

    with pytest.raises(ConfigError, match=r"cannot reach Phoenix at http://127.0.0.1:\d+: start one"):
        upload(result("nowhere"), base_url=f"http://127.0.0.1:{free_ports(1)[0]}")
    twice = result("twice")
    twice.items.append(twice.items[0])
    with pytest.raises(ConfigError, match="has item 'math/q1' twice"):
        upload(twice, base_url=phoenix_server)
    with pytest.raises(ConfigError, match="has no items"):
        upload(EvalResult(suite="empty", kind="qa"), base_url=phoenix_server)


SUITE = """\
kind: retrieval
data: data
settings: {modes: [bm25, dense], qrels: qrels/test.tsv}
"""
CORPUS = [("d1", "Graph runs store checkpoints in SQLite under the workspace state folder."),
          ("d2", "Phoenix collects traces of every node and model call on the loopback address."),
          ("d3", "Prompt files live in the prompts folder and every version is hashed.")]
QUERIES = [("q1", "Where are checkpoints stored?", "d1"), ("q2", "Where do prompt files live?", "d3")]


def test_eval_run_phoenix_checks_phoenix_first_and_uploads_the_run(
    phoenix_server: str, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = workspace / "data"
    (data / "qrels").mkdir(parents=True)
    (data / "corpus.jsonl").write_text("".join(json.dumps({"_id": i, "text": t}) + "\n" for i, t in CORPUS))
    (data / "queries.jsonl").write_text("".join(json.dumps({"_id": i, "text": t}) + "\n" for i, t, _ in QUERIES))
    (data / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\n" + "".join(
        f"{q}\t{d}\t1\n" for q, _, d in QUERIES))
    (workspace / "tiny.yaml").write_text(SUITE)
    runner = CliRunner()

    from phoenix_server import free_ports

    monkeypatch.setenv("PHOENIX_COLLECTOR_ENDPOINT", f"http://127.0.0.1:{free_ports(1)[0]}")
    down = runner.invoke(app, ["eval", "run", "tiny.yaml", "--json", "down.json", "--phoenix"])
    assert down.exit_code == 1 and "error: cannot reach Phoenix" in down.output, down.output
    assert not (workspace / "down.json").exists()  # refused before the run, nothing spent

    monkeypatch.setenv("PHOENIX_COLLECTOR_ENDPOINT", phoenix_server)
    up = runner.invoke(app, ["eval", "run", "tiny.yaml", "--json", "up.json", "--phoenix"])
    assert up.exit_code == 0, up.output
    url = up.output.split("experiment ")[1].split()[0]
    experiment_id = url.split("experimentId=")[1]
    written = EvalResult.load(workspace / "up.json")
    records = httpx.get(f"{phoenix_server}/v1/experiments/{experiment_id}/json").json()
    examples = {e["node_id"]: e["id"] for e in get(f"{phoenix_server}/v1/datasets/"
                                                   f"{url.split('/datasets/')[1].split('/')[0]}/examples")["examples"]}
    uploaded = {examples[r["example_id"]]: {a["name"]: a["score"] for a in r["annotations"]} for r in records}
    assert uploaded == {f"{item.group}/{item.id}": item.scores for item in written.items}
    assert sorted(uploaded) == ["bm25/q1", "bm25/q2", "dense/q1", "dense/q2"]


HALUEVAL = [{"id": "q1", "question": "Which city is the head office of the Oberoi Group in?",
             "context": "The Oberoi Group is a hotel company with its head office in Delhi.",
             "reference_answer": "Delhi", "hallucinated_answer_one_turn": "Mumbai, the financial capital of India.",
             "hallucinated_answer_multi_turn": "The Oberoi Group has no head office."}]
KIND_SUITES = {  # each shipped eval kind on data the test writes or the repository's fixture, with the real model
    "bfcl": f"""\
kind: bfcl
data: {Path(__file__).parent / "data" / "bfcl"}
settings: {{categories: [simple_python, irrelevance], limit: 1, max_tokens: 24}}
metrics:
  accuracy: {{tolerance: 0.0}}
  valid_rate: {{}}
""",
    "groundedness": """\
kind: groundedness
data: qa.jsonl
settings: {limit: 1, graph: graphs/self_rag.yaml}
metrics:
  checker/auc_one_turn: {min: 0.9}
  answers/retrieval_hit_rate: {tolerance: 0.0}
""",
    "retrieval": SUITE + "metrics:\n  dense/ndcg_at_10: {min: 0.5}\n  bm25/recall_at_10: {tolerance: 0.0}\n",
}
TOLERANCE_METRIC = {"bfcl": "accuracy", "groundedness": "answers/retrieval_hit_rate",
                    "retrieval": "bm25/recall_at_10"}


def write_kind_data(workspace: Path) -> None:
    """The data the suites above read: a BEIR folder and a HaluEval QA file (BFCL: the fixture)."""
    data = workspace / "data"
    (data / "qrels").mkdir(parents=True)
    (data / "corpus.jsonl").write_text("".join(json.dumps({"_id": i, "text": t}) + "\n" for i, t in CORPUS))
    (data / "queries.jsonl").write_text("".join(json.dumps({"_id": i, "text": t}) + "\n" for i, t, _ in QUERIES))
    (data / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\n" + "".join(
        f"{q}\t{d}\t1\n" for q, _, d in QUERIES))
    (workspace / "qa.jsonl").write_text("".join(json.dumps(item) + "\n" for item in HALUEVAL))
    shutil.copytree(REPO / "graphs", workspace / "graphs")


@pytest.mark.model
@pytest.mark.parametrize("kind", KIND_SUITES)
def test_eval_run_gates_on_a_baseline_and_uploads_to_phoenix_for_every_kind(
    kind: str, phoenix_server: str, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_kind_data(workspace)
    (workspace / f"{kind}.yaml").write_text(KIND_SUITES[kind])
    monkeypatch.setenv("PHOENIX_COLLECTOR_ENDPOINT", phoenix_server)
    runner = CliRunner()
    first = runner.invoke(app, ["eval", "run", f"{kind}.yaml", "--json", "base.json"])
    assert first.exit_code == 0, first.output
    again = runner.invoke(app, ["eval", "run", f"{kind}.yaml", "--json", "run.json", "--baseline", "base.json",
                                "--phoenix"])
    assert again.exit_code == 0, again.output
    assert "2 of 2 gated metric(s) held" in again.output
    written = EvalResult.load(workspace / "run.json")
    assert written.kind == kind and written.items
    url = again.output.split("experiment ")[1].split()[0]
    dataset_id = url.split("/datasets/")[1].split("/")[0]
    examples = get(f"{phoenix_server}/v1/datasets/{dataset_id}/examples")["examples"]
    records = httpx.get(f"{phoenix_server}/v1/experiments/{url.split('experimentId=')[1]}/json").json()
    assert len(records) == len(written.items) == len(examples)
    uploaded = sorted(json.dumps({a["name"]: a["score"] for a in r["annotations"]}, sort_keys=True)
                      for r in records)
    assert uploaded == sorted(json.dumps(item.scores, sort_keys=True) for item in written.items)

    raised = json.loads((workspace / "base.json").read_text())
    gated = TOLERANCE_METRIC[kind]
    raised["metrics"][gated] = written.metrics[gated] + 1.0  # a baseline this run cannot match
    (workspace / "raised.json").write_text(json.dumps(raised))
    dropped = runner.invoke(app, ["eval", "run", f"{kind}.yaml", "--baseline", "raised.json"])
    assert dropped.exit_code == 3 and f"gate failed on 1 metric(s): {gated}" in dropped.output, dropped.output

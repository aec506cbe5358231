"""Upload an eval result to Phoenix: the items as a dataset, the run as an experiment.

The dataset is named after the suite and keyed by item (`group/id`): uploading the same
items again reuses its latest version, changed items make a new version. The experiment
logs each item's output as a run (no task is re-run) and each per-item score as an
evaluation of that run, so Phoenix shows every metric's mean and compares runs side by
side. Uploading the same result twice finds the first experiment instead of adding one."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from agentkit.errors import ConfigError
from agentkit.evals.results import EvalResult, ItemRecord

if TYPE_CHECKING:
    from agentkit.observability.client import PhoenixAPI

RESULT_KEY = "agentkit_result"  # experiment metadata: digest of the uploaded result


class PhoenixUpload(BaseModel):
    """Where the result went."""

    dataset: str
    dataset_id: str
    dataset_version_id: str
    experiment_id: str
    url: str
    runs: int
    evaluations: int
    existed: bool  # True: this very result had been uploaded before

    def __str__(self) -> str:
        what = "already uploaded as" if self.existed else f"{self.runs} runs, {self.evaluations} evaluations in"
        return f"{what} experiment {self.url} (dataset {self.dataset!r})"


def example_key(item: ItemRecord) -> str:
    """The item's key in the dataset: `group/id`, or `id` when it has no group."""
    return f"{item.group}/{item.id}" if item.group else item.id


def upload(result: EvalResult, *, base_url: str | None = None, dataset: str | None = None) -> PhoenixUpload:
    """Upload `result` to the Phoenix at `base_url` (default: the collector endpoint) as
    dataset `dataset` (default: the suite name) and an experiment on it."""
    from agentkit.observability.client import connect

    api = connect(base_url)
    _check_keys(result)
    name = dataset or result.suite
    digest = hashlib.sha256(result.model_dump_json().encode()).hexdigest()[:16]
    with api.errors(f"uploading the items of {result.suite!r} as dataset {name!r}"):
        stored = api.client.datasets.create_dataset(
            name=name, examples=[_example(item) for item in result.items],
            dataset_description=f"agentkit eval suite {result.suite!r} ({result.kind})")
    with api.errors(f"looking up the experiments of dataset {name!r}"):
        earlier = [e for e in api.client.experiments.list(dataset_id=stored.id)
                   if (e.get("metadata") or {}).get(RESULT_KEY) == digest]
    if earlier:
        return _report(api, name, stored.version_id, earlier[0]["id"], stored.id, existed=True,
                       runs=len(result.items), evaluations=sum(len(i.scores) for i in result.items))
    with api.errors(f"creating an experiment on dataset {name!r}"):
        experiment = api.client.experiments.create(
            dataset_id=stored.id, dataset_version_id=stored.version_id, experiment_name=_experiment_name(result),
            experiment_description=", ".join(f"{k}={v:.4g}" for k, v in result.metrics.items()) or None,
            experiment_metadata=_metadata(result, digest))
    node_ids = {example["id"]: example["node_id"] for example in stored.examples}
    evaluations = 0
    for item in result.items:
        evaluations += _log_item(api, experiment["id"], node_ids[example_key(item)], item, result)
    return _report(api, name, stored.version_id, experiment["id"], stored.id, existed=False,
                   runs=len(result.items), evaluations=evaluations)


def _check_keys(result: EvalResult) -> None:
    if not result.items:
        raise ConfigError(f"result of suite {result.suite!r} has no items: nothing to upload to Phoenix")
    seen: set[str] = set()
    for item in result.items:
        if (key := example_key(item)) in seen:
            raise ConfigError(f"result of suite {result.suite!r} has item {key!r} twice; "
                              f"items need distinct (group, id) pairs to become Phoenix dataset examples")
        seen.add(key)


def _as_object(value: Any, key: str) -> dict[str, Any]:
    """Phoenix stores example inputs and outputs as JSON objects."""
    return dict(value) if isinstance(value, dict) else {key: value}


def _example(item: ItemRecord) -> dict[str, Any]:
    return {"id": example_key(item), "input": _as_object(item.input, "input"),
            "output": _as_object(item.expected, "expected"), "metadata": {"group": item.group, "id": item.id}}


def _experiment_name(result: EvalResult) -> str:
    models = ", ".join(result.models.values())
    return f"{result.suite} {result.created:%Y-%m-%d %H:%M:%S}" + (f" ({models})" if models else "")


def _metadata(result: EvalResult, digest: str) -> dict[str, Any]:
    return {RESULT_KEY: digest, "kind": result.kind, "created": result.created.isoformat(),
            "metrics": result.metrics, "models": result.models, "prompts": result.prompts,
            "timings": result.timings, "config": result.config}


def _log_item(api: PhoenixAPI, experiment_id: str, example_id: str, item: ItemRecord, result: EvalResult) -> int:
    """One run with the item's output, then one evaluation per score; returns their number."""
    end = result.created + timedelta(seconds=item.latency_s or 0.0)
    with api.errors(f"logging the run of item {example_key(item)!r}"):
        run = api.client.experiments.log_run(
            experiment_id=experiment_id, dataset_example_id=example_id, output=item.output,
            start_time=result.created, end_time=end, error=item.error)
        for metric, score in item.scores.items():
            api.client.experiments.log_evaluation(
                experiment_run_id=run["id"], name=metric, score=score, start_time=end, end_time=end)
    return len(item.scores)


def _report(api: PhoenixAPI, name: str, version_id: str, experiment_id: str, dataset_id: str, *,
            existed: bool, runs: int, evaluations: int) -> PhoenixUpload:
    return PhoenixUpload(dataset=name, dataset_id=dataset_id, dataset_version_id=version_id,
                         experiment_id=experiment_id, runs=runs, evaluations=evaluations, existed=existed,
                         url=api.client.experiments.get_experiment_url(dataset_id, experiment_id))

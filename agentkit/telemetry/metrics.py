"""Prometheus metrics of a serving process (prometheus-client, one registry per server):
requests, tokens, cost, latency, time to first token and queue wait by kind, name and
status, and the local engines' queue depth, running sequences and batch size."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from prometheus_client import CollectorRegistry, Counter, Histogram, disable_created_metrics, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from agentkit.telemetry.records import CallRecord

LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)
BATCH_BUCKETS = (1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 64)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class EngineGauges(Collector):
    """Gauges read from the engines when scraped: (model, waiting, running, parallel) rows."""

    def __init__(self, read: Callable[[], Iterable[tuple[str, int, int, int]]]) -> None:
        self._read = read

    def collect(self) -> Iterable[Metric]:
        waiting = GaugeMetricFamily("agentkit_queue_depth", "Requests waiting for a free sequence", labels=["model"])
        running = GaugeMetricFamily("agentkit_running_sequences", "Sequences being generated now", labels=["model"])
        slots = GaugeMetricFamily("agentkit_parallel_sequences", "Sequences an engine decodes together",
                                  labels=["model"])
        for model, queued, active, parallel in self._read():
            waiting.add_metric([model], queued)
            running.add_metric([model], active)
            slots.add_metric([model], parallel)
        return [waiting, running, slots]


class Metrics:
    """The metrics one server exports at /metrics."""

    def __init__(self) -> None:
        disable_created_metrics()  # no `_created` series beside every counter and histogram
        self.registry = CollectorRegistry()
        labels = ["kind", "name", "status"]
        self.requests = Counter("agentkit_requests", "Calls by kind (model, graph), name and status", labels,
                                registry=self.registry)
        self.tokens = Counter("agentkit_tokens", "Tokens by kind, name and direction (input, output)",
                              ["kind", "name", "direction"], registry=self.registry)
        self.cost = Counter("agentkit_cost_dollars", "Cost in US dollars by kind and name", ["kind", "name"],
                            registry=self.registry)
        self.latency = Histogram("agentkit_request_latency_seconds", "Latency of a call, first byte in to last out",
                                 labels, buckets=LATENCY_BUCKETS, registry=self.registry)
        self.first_token = Histogram("agentkit_time_to_first_token_seconds", "Time to the first generated token",
                                     ["kind", "name"], buckets=LATENCY_BUCKETS, registry=self.registry)
        self.queue_wait = Histogram("agentkit_queue_wait_seconds", "Time waiting for a free sequence",
                                    ["kind", "name"], buckets=LATENCY_BUCKETS, registry=self.registry)
        self.batch_size = Histogram("agentkit_batch_size", "Mean sequences per forward pass of a generation",
                                    ["name"], buckets=BATCH_BUCKETS, registry=self.registry)

    def observe(self, record: CallRecord) -> None:
        name = record.graph if record.kind == "graph" else record.model
        self.requests.labels(record.kind, name, record.status).inc()
        self.tokens.labels(record.kind, name, "input").inc(record.input_tokens)
        self.tokens.labels(record.kind, name, "output").inc(record.output_tokens)
        self.cost.labels(record.kind, name).inc(record.cost)
        self.latency.labels(record.kind, name, record.status).observe(record.latency_s)
        if record.first_token_s is not None:
            self.first_token.labels(record.kind, name).observe(record.first_token_s)
        if record.kind == "model":
            self.queue_wait.labels(record.kind, name).observe(record.queue_s)
        if record.batch_size:
            self.batch_size.labels(name).observe(record.batch_size)

    def watch_engines(self, read: Callable[[], Iterable[tuple[str, int, int, int]]]) -> None:
        self.registry.register(EngineGauges(read))

    def exposition(self) -> bytes:
        return generate_latest(self.registry)

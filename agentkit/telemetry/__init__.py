"""Telemetry of every model and graph call: tokens, time to first token, latency, queue
wait, cost and status, written off the request path to SQLite in the workspace
(`.agentkit/telemetry.sqlite`), exported to Prometheus by `agentkit serve` and summed up
by `agentkit stats`."""

"""Tracing to Arize Phoenix.

- :mod:`~agentkit.observability.tracing`: ``enable_tracing``, ``flush_traces``, ``disable_tracing``.
- :mod:`~agentkit.observability.attributes`: extra span attributes (prompt version, metadata).
- :mod:`~agentkit.observability.phoenix`: launch / stop a local, loopback-only Phoenix server.

Nothing is imported here, so ``agentkit phoenix`` does not pay for OpenTelemetry imports.
"""

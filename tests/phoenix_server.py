"""Pytest plugin: a session-scoped, real Phoenix server on free loopback ports.

Load it with ``pytest_plugins = ["phoenix_server"]`` in ``tests/conftest.py`` or a test module:
pytest's default ``prepend`` import mode puts ``tests/`` on ``sys.path`` as long as ``tests/``
has no ``__init__.py`` (if it becomes a package, the name is ``"tests.phoenix_server"``).
Every user must spell it the same way, or the module is loaded twice under two names.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import httpx
import pytest

from agentkit.observability.phoenix import LOOPBACK, PhoenixConfig, start_detached, stop_phoenix


def free_ports(count: int) -> list[int]:
    """``count`` distinct TCP ports that are free on loopback right now."""
    with ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in sockets:
            sock.bind((LOOPBACK, 0))
        return [sock.getsockname()[1] for sock in sockets]


def fetch_spans(
    base_url: str, project: str, count: int, timeout: float = 20.0
) -> list[dict[str, Any]]:
    """Spans of ``project`` once at least ``count`` were ingested (Phoenix inserts in batches)."""
    deadline = time.monotonic() + timeout
    while True:
        response = httpx.get(f"{base_url}/v1/projects/{project}/spans", params={"limit": 100})
        spans = response.json()["data"] if response.status_code == 200 else []
        if len(spans) >= count or time.monotonic() > deadline:
            return spans
        time.sleep(0.1)


@pytest.fixture(scope="session")
def phoenix_config(tmp_path_factory: pytest.TempPathFactory) -> PhoenixConfig:
    """Ports and working dir of the session's Phoenix server."""
    port, grpc_port = free_ports(2)
    return PhoenixConfig(
        port=port, grpc_port=grpc_port, working_dir=tmp_path_factory.mktemp("phoenix")
    )


@pytest.fixture(scope="session")
def phoenix_server(phoenix_config: PhoenixConfig) -> Iterator[str]:
    """Base URL of a real Phoenix (detached, SQLite in a tmp dir), stopped after the session."""
    url, _ = start_detached(phoenix_config)
    try:
        yield url
    finally:
        stop_phoenix(phoenix_config)

"""Pytest plugin: a session-scoped, real Phoenix server on free loopback ports.

Load it with ``pytest_plugins = ["phoenix_server"]`` from ``tests/conftest.py`` or a test
module (pytest's default ``prepend`` import mode puts ``tests/`` on ``sys.path`` while
``tests/`` has no ``__init__.py``; if it becomes a package, use ``"tests.phoenix_server"``).
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import ExitStack

import pytest

from agentkit.observability.phoenix import LOOPBACK, PhoenixConfig, start_detached, stop_phoenix


def free_ports(count: int) -> list[int]:
    """``count`` distinct TCP ports that are free on loopback right now."""
    with ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in sockets:
            sock.bind((LOOPBACK, 0))
        return [sock.getsockname()[1] for sock in sockets]


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

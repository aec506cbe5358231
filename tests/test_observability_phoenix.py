"""The local Phoenix launcher: loopback-only sockets, detached start/stop, clear errors."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import psutil
import pytest

from agentkit.errors import ConfigError
from agentkit.net import is_loopback
from agentkit.observability.phoenix import (
    PhoenixConfig,
    launch_phoenix,
    phoenix_endpoint,
    project_url,
    running_pid,
    start_detached,
    stop_phoenix,
)

# Not marked `phoenix`: arize-phoenix-client's pytest plugin owns that marker name.


def listeners(port: int) -> list[Any]:
    """Listening TCP sockets on ``port``, any address, any process."""
    return [
        conn
        for conn in psutil.net_connections(kind="inet")
        if conn.status == psutil.CONN_LISTEN and getattr(conn.laddr, "port", None) == port
    ]


def test_server_listens_on_loopback_only(
    phoenix_server: str, phoenix_config: PhoenixConfig
) -> None:
    (http,) = listeners(phoenix_config.port)
    server = psutil.Process(http.pid)
    own = [
        conn
        for process in (server, *server.children(recursive=True))
        for conn in process.net_connections(kind="inet")
        if conn.status == psutil.CONN_LISTEN
    ]
    assert {conn.laddr.port for conn in own} == {phoenix_config.port, phoenix_config.grpc_port}
    assert all(is_loopback(conn.laddr.ip) for conn in own), [conn.laddr for conn in own]
    assert all(is_loopback(conn.laddr.ip) for conn in listeners(phoenix_config.grpc_port))


def test_second_detached_start_reports_the_running_server(
    phoenix_server: str, phoenix_config: PhoenixConfig
) -> None:
    assert start_detached(phoenix_config) == (phoenix_server, False)
    assert running_pid(phoenix_config) == listeners(phoenix_config.port)[0].pid


def test_port_in_use_is_a_config_error(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        config = PhoenixConfig(port=busy.getsockname()[1], working_dir=tmp_path)
        with pytest.raises(ConfigError, match=r"port \d+ on 127\.0\.0\.1 is in use.*--port"):
            launch_phoenix(config)


def test_slow_start_is_a_config_error_with_the_log_tail(tmp_path: Path) -> None:
    with socket.socket() as a, socket.socket() as b:
        a.bind(("127.0.0.1", 0))
        b.bind(("127.0.0.1", 0))
        ports = a.getsockname()[1], b.getsockname()[1]
    config = PhoenixConfig(
        port=ports[0], grpc_port=ports[1], working_dir=tmp_path, startup_timeout=0.5
    )
    with pytest.raises(ConfigError, match=r"did not answer .*/healthz within 0.5 s") as error:
        launch_phoenix(config)
    assert f"Last lines of {config.log_file}" in str(error.value)
    assert not listeners(config.port)


def test_stop_without_a_detached_server_is_false(tmp_path: Path) -> None:
    assert stop_phoenix(PhoenixConfig(working_dir=tmp_path)) is False


def test_endpoint_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PHOENIX_COLLECTOR_ENDPOINT", raising=False)
    assert phoenix_endpoint() == "http://127.0.0.1:6006"
    monkeypatch.setenv("PHOENIX_COLLECTOR_ENDPOINT", "http://phoenix.lan:7000/v1/traces")
    assert phoenix_endpoint() == "http://phoenix.lan:7000"


def test_project_url_opens_a_project_by_name() -> None:
    assert project_url("http://127.0.0.1:6006/", "my graph") == (
        "http://127.0.0.1:6006/redirects/projects/my%20graph"
    )


def test_same_port_twice_is_rejected() -> None:
    with pytest.raises(ValueError, match="different values"):
        PhoenixConfig(port=7000, grpc_port=7000)

"""Launch, find and stop a local Phoenix server: loopback only, SQLite in a working dir."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from urllib.parse import quote

import httpx
import psutil
from pydantic import BaseModel, ConfigDict, Field, model_validator

from agentkit.errors import ConfigError
from agentkit.net import is_loopback
from agentkit.workspace import find_workspace

LOOPBACK = "127.0.0.1"
DEFAULT_PORT = 6006
DEFAULT_GRPC_PORT = 4317
COLLECTOR_ENDPOINT_ENV = "PHOENIX_COLLECTOR_ENDPOINT"
_SERVE_MODULE = "agentkit.observability._serve"
# Private, offline-friendly defaults; a value already set in the environment wins.
_ENV_DEFAULTS = {
    "PHOENIX_ALLOW_EXTERNAL_RESOURCES": "false",
    "PHOENIX_TELEMETRY_ENABLED": "false",
    "PHOENIX_DISABLE_AGENT_ASSISTANT": "true",
}


def phoenix_endpoint() -> str:
    """Collector base URL: ``$PHOENIX_COLLECTOR_ENDPOINT`` or ``http://127.0.0.1:6006``."""
    url = os.environ.get(COLLECTOR_ENDPOINT_ENV, "").strip().rstrip("/")
    return url.removesuffix("/v1/traces") or f"http://{LOOPBACK}:{DEFAULT_PORT}"


def project_url(base_url: str, project_name: str) -> str:
    """UI link that opens a project by name (Phoenix redirects it to the project page)."""
    return f"{base_url.rstrip('/')}/redirects/projects/{quote(project_name, safe='')}"


def is_healthy(base_url: str, timeout: float = 0.5) -> bool:
    """True if a Phoenix server answers ``GET /healthz`` at ``base_url`` within ``timeout``."""
    try:
        response = httpx.get(f"{base_url.rstrip('/')}/healthz", timeout=timeout)
    except httpx.HTTPError:
        return False
    return response.status_code == 200


def default_working_dir(workspace: Path | None = None) -> Path:
    """``<workspace>/.agentkit/phoenix`` (default: :func:`find_workspace`)."""
    return (workspace or find_workspace()) / ".agentkit" / "phoenix"


class PhoenixConfig(BaseModel):
    """Where a local Phoenix listens and keeps its data."""

    model_config = ConfigDict(frozen=True)

    port: int = Field(
        default=DEFAULT_PORT, ge=1, le=65535, description="HTTP port (UI, REST, OTLP/HTTP)"
    )
    grpc_port: int = Field(default=DEFAULT_GRPC_PORT, ge=1, le=65535, description="OTLP/gRPC port")
    working_dir: Path = Field(default_factory=default_working_dir, description="SQLite + logs")
    startup_timeout: float = Field(default=90.0, gt=0, description="seconds to wait for /healthz")

    @model_validator(mode="after")
    def _distinct_ports(self) -> PhoenixConfig:
        if self.port == self.grpc_port:
            raise ValueError(f"port and grpc_port are both {self.port}; give them different values")
        return self

    @property
    def url(self) -> str:
        """Base URL of the UI and REST API."""
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def log_file(self) -> Path:
        """Server output (both modes)."""
        return self.working_dir / "phoenix.log"

    @property
    def pid_file(self) -> Path:
        """Written in detached mode: ``{"pid": ..., "port": ...}``."""
        return self.working_dir / "phoenix.pid"


class PhoenixServer:
    """A Phoenix server process started by agentkit."""

    def __init__(self, process: subprocess.Popen[bytes], config: PhoenixConfig) -> None:
        self.process = process
        self.config = config

    @property
    def url(self) -> str:
        """Base URL of the UI and REST API."""
        return self.config.url

    @property
    def pid(self) -> int:
        """Process id of the server."""
        return self.process.pid

    def stop(self, timeout: float = 15.0) -> None:
        """Stop the server (see :func:`_terminate`) and drop its pid file."""
        if self.process.poll() is None:
            _terminate(self.pid, timeout)
        _remove_pid_file(self.config, self.pid)


def launch_phoenix(config: PhoenixConfig, *, detach: bool = False) -> PhoenixServer:
    """Start Phoenix, wait for ``/healthz`` and check it listens on loopback only.

    ``detach=True`` writes ``config.pid_file`` so :func:`stop_phoenix` can stop it later
    from another process. Raises :class:`ConfigError` (with the server log tail) if the
    ports are taken or the server does not come up within ``config.startup_timeout``.
    """
    for port, flag in ((config.port, "--port"), (config.grpc_port, "--grpc-port")):
        _ensure_port_free(port, flag)
    config.working_dir.mkdir(parents=True, exist_ok=True)
    with config.log_file.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", _SERVE_MODULE, "serve"],
            env=_server_env(config),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # our stop() is the only signal it gets
        )
    server = PhoenixServer(process, config)
    try:
        _wait_healthy(server)
        _ensure_loopback_only(server)
    except BaseException:
        server.stop()
        raise
    if detach:
        config.pid_file.write_text(json.dumps({"pid": server.pid, "port": config.port}))
    return server


def run_foreground(config: PhoenixConfig, on_ready: Callable[[str], None]) -> None:
    """Start Phoenix, call ``on_ready(url)``, block until it exits.

    Ctrl-C, SIGTERM or SIGHUP (also during the start) stop it cleanly.
    """
    handled = [s for s in (signal.SIGTERM, getattr(signal, "SIGHUP", None)) if s is not None]
    previous = {sig: signal.signal(sig, _raise_keyboard_interrupt) for sig in handled}
    try:
        server = launch_phoenix(config)  # stops the server itself if interrupted
        on_ready(server.url)
        try:
            server.process.wait()
        except KeyboardInterrupt:
            server.stop()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def start_detached(config: PhoenixConfig) -> tuple[str, bool]:
    """Start a detached server unless one already answers on ``config.port``.

    Returns ``(url, started)``; ``started`` is False when a healthy server was found.
    """
    if is_healthy(config.url):
        return config.url, False
    return launch_phoenix(config, detach=True).url, True


def running_pid(config: PhoenixConfig) -> int | None:
    """Pid of the detached server recorded in ``config.pid_file`` if it still runs."""
    try:
        pid = int(json.loads(config.pid_file.read_text())["pid"])
        process = psutil.Process(pid)
        alive = _SERVE_MODULE in process.cmdline() and process.status() != psutil.STATUS_ZOMBIE
    except (OSError, ValueError, KeyError, TypeError, psutil.Error):
        return None
    return pid if alive else None


def stop_phoenix(config: PhoenixConfig, timeout: float = 15.0) -> bool:
    """Stop the detached server of ``config.working_dir``; False if none was running."""
    pid = running_pid(config)
    if pid is not None:
        _terminate(pid, timeout)
    config.pid_file.unlink(missing_ok=True)
    return pid is not None


def _terminate(pid: int, timeout: float) -> None:
    """SIGTERM, then SIGKILL after ``timeout`` seconds.

    SIGTERM, not SIGINT: once serving, uvicorn turns either into a clean shutdown, but
    before that Python's SIGINT handler raises KeyboardInterrupt, which is lost if it lands
    in a finalizer (seen: "Exception ignored in ... WeakKeyDictionary"), and the server
    then keeps running; SIGTERM's default action cannot be lost.
    """
    try:
        process = psutil.Process(pid)
        process.terminate()
        try:
            process.wait(timeout)
        except psutil.TimeoutExpired:
            process.kill()
            process.wait(timeout)
    except psutil.NoSuchProcess:
        pass
    _forget_phoenix_pid(pid)


def _forget_phoenix_pid(pid: int) -> None:
    """Remove Phoenix's own registry entry ``<tmp>/.arize-phoenix/pids/<pid>``.

    Phoenix deletes it only on a clean interpreter exit, which a signal-ended server skips;
    ``px.launch_app()`` SIGKILLs every pid listed there, so a stale entry is dangerous.
    """
    (Path(tempfile.gettempdir()) / ".arize-phoenix" / "pids" / str(pid)).unlink(missing_ok=True)


def _server_env(config: PhoenixConfig) -> dict[str, str]:
    env = {**_ENV_DEFAULTS, **os.environ}
    env.update(
        PHOENIX_WORKING_DIR=str(config.working_dir.resolve()),
        PHOENIX_HOST=LOOPBACK,
        PHOENIX_PORT=str(config.port),
        PHOENIX_GRPC_PORT=str(config.grpc_port),
        PHOENIX_ENABLE_PROMETHEUS="false",  # its exporter binds [::]:9090
        PYTHONUNBUFFERED="1",
    )
    return env


def _ensure_port_free(port: int, flag: str) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((LOOPBACK, port))
        except OSError as exc:
            raise ConfigError(
                f"cannot start Phoenix: port {port} on {LOOPBACK} is in use ({exc.strerror}); "
                f"stop what uses it or choose another port with `agentkit phoenix {flag} N`"
            ) from exc


def _wait_healthy(server: PhoenixServer) -> None:
    config = server.config
    deadline = time.monotonic() + config.startup_timeout
    while not is_healthy(config.url):
        if (code := server.process.poll()) is not None:
            problem = f"exited with code {code} before answering {config.url}/healthz"
            raise ConfigError(_startup_message(config, problem))
        if time.monotonic() > deadline:
            problem = f"did not answer {config.url}/healthz within {config.startup_timeout:g} s"
            raise ConfigError(_startup_message(config, problem))
        time.sleep(0.2)


def _ensure_loopback_only(server: PhoenixServer) -> None:
    root = psutil.Process(server.pid)
    exposed = sorted(
        f"{conn.laddr.ip}:{conn.laddr.port}"
        for process in (root, *root.children(recursive=True))
        for conn in process.net_connections(kind="inet")
        if conn.status == psutil.CONN_LISTEN and not is_loopback(conn.laddr.ip)
    )
    if exposed:
        raise ConfigError(
            f"Phoenix (pid {server.pid}) listens on non-loopback addresses {exposed}; "
            "agentkit stopped it. This Phoenix version binds differently from the one "
            f"{_SERVE_MODULE} patches: pin arize-phoenix to a tested 20.x release"
        )


def _startup_message(config: PhoenixConfig, problem: str) -> str:
    try:
        with config.log_file.open(errors="replace") as log:
            tail = "".join(deque(log, maxlen=25))
    except OSError:
        tail = "(no log written)\n"
    return (
        f"Phoenix server {problem}.\n"
        f"Last lines of {config.log_file}:\n{tail}"
        "fix: read the log above. A port clash, or a database left half-migrated by an "
        f"interrupted first start ({config.working_dir / 'phoenix.db'}: move it away or "
        "use another --working-dir), are the usual causes"
    )


def _remove_pid_file(config: PhoenixConfig, pid: int) -> None:
    try:
        if json.loads(config.pid_file.read_text()).get("pid") == pid:
            config.pid_file.unlink()
    except (OSError, ValueError, AttributeError):
        pass


def _raise_keyboard_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt

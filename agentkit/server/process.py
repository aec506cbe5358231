"""Running a server: bind the socket, load, announce, serve until SIGTERM/SIGINT, drain."""

from __future__ import annotations

import logging
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import uvicorn

from agentkit.access.keys import KeyStore
from agentkit.errors import ConfigError
from agentkit.net import is_loopback
from agentkit.server.app import create_app
from agentkit.server.lifecycle import DrainingServer, Lifecycle
from agentkit.server.state import ServeConfig, ServerState

Say = Callable[[str], None]


def serve(config: ServeConfig, say: Say, log_calls: bool = True) -> None:
    """Serve `config` in this process; `say` prints the lines a user reads (where, what is
    served, graphs skipped and why)."""
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if log_calls:
        logging.getLogger("agentkit.calls").setLevel(logging.INFO)
    keys = _keys_asked(config)
    sock = bind(config.host, config.port)
    url = f"http://{config.host}:{sock.getsockname()[1]}"

    def ready(state: ServerState) -> None:
        say(f"agentkit serve ready at {url}: models {state.models.describe()}; graphs "
            f"{', '.join(sorted(state.graphs.graphs)) or 'none'}; OpenAPI at {url}/docs")
        for file, problem in state.graphs.skipped.items():
            say(f"skipped graph {file}: {problem}")

    lifecycle = Lifecycle()
    app = create_app(config, lifecycle, on_ready=ready)
    server = DrainingServer(uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=5),
                            lifecycle, config.drain_timeout)
    say(f"agentkit serve listening on {url} ({keys}; loading models and graphs; GET {url}/readyz says when ready)")
    server.run(sockets=[sock])
    say("agentkit serve stopped")


def _keys_asked(config: ServeConfig) -> str:
    """Whether requests need an API key, said for the start-up line; refuses a non-loopback
    address without an active key."""
    store = KeyStore.of(config.workspace)
    active = [key for key in store.list() if key.revoked is None]
    if not is_loopback(config.host) and not active:
        raise ConfigError(f"--host {config.host} is reachable from other machines, so the server needs an API key "
                          f"and this workspace has none active: make one with `agentkit keys create NAME`, or "
                          f"serve on 127.0.0.1")
    if config.require_keys or not is_loopback(config.host) or store.any():
        return f"API keys required: {len(active)} active"
    return "no API keys asked on loopback (`agentkit keys create` or --require-keys turns them on)"


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on `host:port` (port 0: any free one)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ConfigError(f"cannot listen on {host}:{port} ({exc.strerror}); pick another --port (0: any free one) "
                          f"or stop what uses it") from None
    sock.listen(2048)
    return sock


READY = re.compile(r"agentkit serve ready at (http://[^\s:]+:\d+)")


@dataclass
class ServerProcess:
    """An `agentkit serve` in a process of its own, its output going to `log`."""

    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def stop(self, timeout: float = 60.0) -> int:
        """SIGTERM (the server drains), then wait; the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait(10)


def launch(workspace: Path, *args: str, log: Path, timeout: float = 240.0) -> ServerProcess:
    """`agentkit serve --port 0 ARGS` in `workspace` (any free port), once it says it is ready."""
    env = {**os.environ, "AGENTKIT_WORKSPACE": str(workspace)}
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "agentkit", "serve", "--port", "0", *args],
                                   cwd=workspace, env=env, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = log.read_text(errors="replace") if log.exists() else ""
        if match := READY.search(text):
            return ServerProcess(process, match.group(1), log)
        if process.poll() is not None:
            raise ConfigError(f"agentkit serve exited with {process.returncode}:\n{text[-2000:]}")
        time.sleep(0.2)
    process.kill()
    raise ConfigError(f"agentkit serve was not ready within {timeout:.0f} s; its log: {log}")

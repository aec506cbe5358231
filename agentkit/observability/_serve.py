"""Entry point of the Phoenix subprocess: `phoenix serve` with gRPC bound to loopback.

Phoenix 20.x binds its OTLP/gRPC listener to ``[::]:PORT`` (hard-coded in
``phoenix/server/grpc_server.py``; no setting changes the host, and only read-only mode
disables it). This module wraps ``grpc.aio.server`` so every port that server adds is
bound to 127.0.0.1 instead, then runs Phoenix's own CLI ``main()``.
Run as ``python -m agentkit.observability._serve serve``.
"""

from __future__ import annotations

from typing import Any

import grpc.aio

LOOPBACK = "127.0.0.1"
_aio_server = grpc.aio.server


def loopback_address(address: str) -> str:
    """``"[::]:4317"`` -> ``"127.0.0.1:4317"`` (any host part becomes loopback)."""
    return f"{LOOPBACK}:{address.rpartition(':')[2]}"


def loopback_server(*args: Any, **kwargs: Any) -> grpc.aio.Server:
    """``grpc.aio.server`` whose ``add_*_port`` calls bind to loopback only."""
    server = _aio_server(*args, **kwargs)
    add_insecure, add_secure = server.add_insecure_port, server.add_secure_port

    def add_insecure_port(address: str) -> int:
        return add_insecure(loopback_address(address))

    def add_secure_port(address: str, server_credentials: grpc.ServerCredentials) -> int:
        return add_secure(loopback_address(address), server_credentials)

    server.add_insecure_port = add_insecure_port  # type: ignore[method-assign]
    server.add_secure_port = add_secure_port  # type: ignore[method-assign]
    return server


def main() -> None:
    """Patch gRPC, then hand over to Phoenix's CLI (arguments from ``sys.argv``)."""
    grpc.aio.server = loopback_server
    from phoenix.server.main import main as phoenix_main

    phoenix_main()


if __name__ == "__main__":
    main()

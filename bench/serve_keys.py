"""What API keys cost a request, side by side in one run: the ASGI app alone, behind the key
middleware with no keys made (the server is open on loopback), and behind it with a valid
key checked (HMAC, scope, request rate and token budget on `limits`), in microseconds per
request (target: key checks add <= 1 ms).

Run: .venv/bin/python bench/serve_keys.py [--requests 20000]   (a few seconds)"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from agentkit.access.key_limits import KeyLimits
from agentkit.access.keys import KeyStore, Scope
from agentkit.server.auth import AuthMiddleware


async def _app(scope: dict, receive: object, send: object) -> None:  # the cheapest route: nothing at all
    return None


def _scope(token: str | None) -> dict:
    headers = [(b"authorization", f"Bearer {token}".encode())] if token else []
    return {"type": "http", "path": "/v1/chat/completions", "headers": headers}


def per_request_us(app: object, token: str | None, requests: int) -> float:
    """The median over 5 rounds of microseconds per request through `app`."""
    async def rounds() -> list[float]:
        timings = []
        for _ in range(5):
            started = time.perf_counter()
            for _ in range(requests // 5):
                await app(_scope(token), None, None)  # type: ignore[operator]
            timings.append((time.perf_counter() - started) / (requests // 5) * 1e6)
        return timings

    return statistics.median(asyncio.run(rounds()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=20000)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="agentkit-keys-"))
    open_store, keyed_store = KeyStore(folder / "none.sqlite"), KeyStore(folder / "keys.sqlite")
    _, token = keyed_store.create("bench", [Scope.chat], rate_per_min=10**9, tokens_per_min=10**9)
    rows = [("app alone", per_request_us(_app, None, args.requests)),
            ("key middleware, no keys made", per_request_us(
                AuthMiddleware(_app, open_store, KeyLimits(), required=False), None, args.requests)),
            ("key middleware, valid key with rate and token limits", per_request_us(
                AuthMiddleware(_app, keyed_store, KeyLimits(), required=True), token, args.requests))]
    table = Table("path", "us per request", "added by keys (target <= 1000 us)",
                  title=f"{args.requests:,} requests, in process (no sockets)")
    for name, cost in rows:
        table.add_row(name, f"{cost:.1f}", f"{cost - rows[0][1]:+.1f}")
    Console().print(table)


if __name__ == "__main__":
    main()

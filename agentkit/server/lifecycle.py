"""The server's life: requests in flight, draining on SIGTERM (in-flight requests finish,
new ones get 503 until none are left, then the process exits), request ids, and the
request body size limit (413), as one ASGI middleware in front of the app."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from agentkit.server.errors import error_response, internal_error

ALWAYS_OPEN = ("/healthz",)  # answers while draining: the process is still up
OPEN_WHILE_LOADING = ("/healthz", "/readyz", "/metrics", "/docs", "/openapi.json", "/docs/oauth2-redirect")
DISCARD_LIMIT = 64 << 20  # an oversized body is read and dropped up to this before the 413, so the client sees it


@dataclass
class Lifecycle:
    """In-flight requests and whether the server is draining."""

    draining: bool = False
    in_flight: int = 0
    ready: bool = False
    failed: str = ""  # why loading failed
    _idle: asyncio.Event = field(default_factory=asyncio.Event)

    def started(self) -> None:
        self.in_flight += 1
        self._idle.clear()

    def finished(self) -> None:
        self.in_flight -= 1
        if self.in_flight == 0:
            self._idle.set()

    async def drained(self, timeout: float) -> bool:
        """Wait until no request is in flight (False if `timeout` passed first)."""
        if self.in_flight == 0:
            return True
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
            return True
        except TimeoutError:
            return False


class _BodyTooLarge(Exception):
    pass


class LifecycleMiddleware:
    """Request ids, the body limit, 503 while draining, and in-flight counting."""

    def __init__(self, app: ASGIApp, lifecycle: Lifecycle, max_body_bytes: int) -> None:
        self.app, self.lifecycle, self.max_body_bytes = app, lifecycle, max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = uuid.uuid4().hex[:16]
        scope.setdefault("state", {})["request_id"] = request_id
        if self.lifecycle.draining and scope["path"] not in ALWAYS_OPEN:
            await error_response(503, "the server is shutting down; retry on another instance or after it restarts",
                                 code="shutting_down", headers={"Retry-After": "5", "Connection": "close"}
                                 )(scope, receive, send)
            return
        if not self.lifecycle.ready and scope["path"] not in OPEN_WHILE_LOADING:
            await error_response(503, "the server is still loading its models; retry in a moment (GET /readyz says "
                                      "when it is ready)", code="loading", headers={"Retry-After": "2"}
                                 )(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_body_bytes:
            await self._too_large(scope, receive, send, declared)
            return
        self.lifecycle.started()
        sending = _Sending(send, request_id)
        try:
            await self.app(scope, self._counting(receive), sending)
        except _BodyTooLarge:
            await self._too_large(scope, receive, send, None)
        except Exception as exc:  # the body names an error id; the log has the trace under it
            response = internal_error(request_id, exc)
            if not sending.started:
                await response(scope, receive, sending)
        finally:
            self.lifecycle.finished()

    def _counting(self, receive: Receive) -> Receive:
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body_bytes:
                    raise _BodyTooLarge()
            return message

        return counted

    async def _too_large(self, scope: Scope, receive: Receive, send: Send, size: int | None) -> None:
        await _discard_body(receive)
        told = f" ({size:,} bytes)" if size is not None else ""
        await error_response(413, f"the request body is too large{told}; the limit is {self.max_body_bytes:,} bytes "
                                  f"(--max-body-bytes, or limits.max_body_bytes in agentkit.yaml)", code="body_too_large",
                             headers={"Connection": "close"})(scope, receive, send)


async def _discard_body(receive: Receive) -> None:
    """Read the rest of the request body and drop it: closing a socket with unread data resets
    the connection, and the client would lose the response sent before it (nginx's lingering close)."""
    dropped = 0
    while dropped < DISCARD_LIMIT:
        message = await receive()
        if message["type"] != "http.request" or not message.get("more_body", False):
            return
        dropped += len(message.get("body", b""))


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class _Sending:
    """`send` with the request id header on the response, noting whether it has begun."""

    def __init__(self, send: Send, request_id: str) -> None:
        self.send, self.request_id, self.started = send, request_id, False

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.started = True
            message.setdefault("headers", []).append((b"x-request-id", self.request_id.encode()))
        await self.send(message)


class DrainingServer(uvicorn.Server):
    """uvicorn that drains on the first SIGTERM/SIGINT (503 to new requests, in-flight ones
    finish, at most `drain_timeout` s) and exits at once on the second."""

    def __init__(self, config: uvicorn.Config, lifecycle: Lifecycle, drain_timeout: float) -> None:
        super().__init__(config)
        self.lifecycle, self.drain_timeout = lifecycle, drain_timeout
        self._loop: asyncio.AbstractEventLoop | None = None
        self._drain_task: asyncio.Task[Any] | None = None

    async def startup(self, sockets: Any = None) -> None:
        self._loop = asyncio.get_running_loop()
        await super().startup(sockets)

    def handle_exit(self, sig: int, frame: Any) -> None:
        if self.lifecycle.draining or self._loop is None:
            super().handle_exit(sig, frame)
            return
        self.lifecycle.draining = True
        self.lifecycle.ready = False
        self._loop.call_soon_threadsafe(self._start_draining)

    def _start_draining(self) -> None:
        self._drain_task = asyncio.get_running_loop().create_task(self._drain())

    async def _drain(self) -> None:
        await self.lifecycle.drained(self.drain_timeout)
        self.should_exit = True

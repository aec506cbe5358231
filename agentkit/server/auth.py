"""API keys in front of the routes: `Authorization: Bearer <key>` (as the `openai` client
sends it) on every route but /healthz and /readyz, when the server requires keys. No, a
wrong or a revoked key: 401; a key without the route's scope: 403; a key over its request
rate or token budget: 429 with Retry-After. The accepted key is `request.state.api_key`;
its id (never the key) goes into telemetry."""

from __future__ import annotations

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from agentkit.access.key_limits import KeyLimits
from agentkit.access.keys import ApiKey, KeyStore, Scope as KeyScope
from agentkit.server.errors import error_response

OPEN = ("/healthz", "/readyz")
ROUTE_SCOPES: tuple[tuple[str, KeyScope | None], ...] = (
    ("/v1/", KeyScope.chat), ("/graphs", KeyScope.graphs), ("/threads/", KeyScope.graphs),
    ("/metrics", KeyScope.admin), ("/", None))  # None: any valid key (/docs, /openapi.json)


def route_scope(path: str) -> KeyScope | None:
    return next(scope for prefix, scope in ROUTE_SCOPES if path.startswith(prefix))


def caller(request: Request) -> ApiKey | None:
    """The key a request came with (None when the server takes requests without keys)."""
    return getattr(request.state, "api_key", None)


class AuthMiddleware:
    """Checks the key of every request but those to `OPEN` routes (see the module docstring)."""

    def __init__(self, app: ASGIApp, store: KeyStore, limits: KeyLimits, required: bool) -> None:
        self.app, self.store, self.limits, self.required = app, store, limits, required

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in OPEN or not (self.required or self.store.any()):
            await self.app(scope, receive, send)
            return
        token = _bearer(scope)
        if not token:
            await _refuse(401, "this server needs an API key: send the header `Authorization: Bearer <key>` "
                               "(make a key with `agentkit keys create NAME`)", "missing_api_key",
                          scope, receive, send)
            return
        check = self.store.check(token)
        if check.refused:
            await _refuse(401, check.refused, "invalid_api_key", scope, receive, send)
            return
        key = check.key
        assert key is not None
        needed = route_scope(scope["path"])
        if not key.allows(needed):
            await _refuse(403, f"the key {key.name!r} ({key.id}) has the scopes {', '.join(key.scopes)}; "
                               f"{scope['path']} needs {needed}: use a key made with `--scope {needed}`",
                          "missing_scope", scope, receive, send)
            return
        over = self.limits.admit(key)
        if over is not None:
            limit, retry_after = over
            await _refuse(429, f"the key {key.name!r} ({key.id}) is over its {limit}; retry after "
                               f"{retry_after:.0f} s", "rate_limit_exceeded", scope, receive, send,
                          {"Retry-After": str(int(retry_after))})
            return
        scope.setdefault("state", {})["api_key"] = key
        await self.app(scope, receive, send)


def _bearer(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            kind, _, token = value.decode("latin-1").partition(" ")
            return token.strip() if kind.lower() == "bearer" else ""
    return ""


async def _refuse(status: int, message: str, code: str, scope: Scope, receive: Receive, send: Send,
                  headers: dict[str, str] | None = None) -> None:
    extra = {"WWW-Authenticate": 'Bearer realm="agentkit"'} if status == 401 else {}
    await error_response(status, message, code=code, headers={**extra, **(headers or {})})(scope, receive, send)

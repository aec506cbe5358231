"""JSON over HTTP for tools: per-request timeout, bounded retries, one clear error type.

`get_json` retries connection errors, timeouts, 429 and 5xx answers with exponential
backoff and jitter, or after the answer's `Retry-After` (seconds or an HTTP date) when it
gives one; a wait longer than `HttpPolicy.max_wait` fails at once instead. Other 4xx
answers, a body that is not JSON, or JSON of an unexpected shape fail at once. Every
failure is a `ServiceError` naming the service, the URL, the HTTP status (if any) and what
to do about it. Defaults come from `AGENTKIT_HTTP_TIMEOUT`, `AGENTKIT_HTTP_RETRIES` and
`AGENTKIT_HTTP_BACKOFF`, read at call time. All calls of a process share one
`httpx.Client` (thread-safe, so connections are reused), closed at exit.
"""

from __future__ import annotations

import atexit
import os
import random
import ssl
import threading
import time
from collections.abc import Mapping
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from functools import cache
from ipaddress import ip_address
from typing import Any, TypeVar, overload

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agentkit.errors import AgentkitError, ConfigError

TIMEOUT_ENV = "AGENTKIT_HTTP_TIMEOUT"
RETRIES_ENV = "AGENTKIT_HTTP_RETRIES"
BACKOFF_ENV = "AGENTKIT_HTTP_BACKOFF"
_ENV = {"timeout": TIMEOUT_ENV, "retries": RETRIES_ENV, "backoff": BACKOFF_ENV}
USER_AGENT = "agentkit"
Params = Mapping[str, str | int | float]
M = TypeVar("M", bound=BaseModel)


class ServiceError(AgentkitError):
    """A remote service could not be used: unreachable, too slow, failing, or answering garbage."""

    def __init__(self, service: str, url: str, problem: str, hint: str, status: int | None = None):
        self.service, self.url, self.problem, self.hint, self.status = service, url, problem, hint, status
        super().__init__(f"{service}: {problem} ({url}); {hint}")


class HttpPolicy(BaseModel):
    """How long to wait and how often to retry."""

    model_config = ConfigDict(frozen=True)

    timeout: float = Field(default=10.0, gt=0, description="seconds to connect, and between bytes received")
    retries: int = Field(default=2, ge=0, le=10, description="extra attempts after a retryable failure")
    backoff: float = Field(default=0.5, ge=0, description="base delay in seconds; doubles each retry")
    max_backoff: float = Field(default=8.0, ge=0, description="upper bound of one delay in seconds")
    max_wait: float = Field(default=30.0, ge=0, description="longest Retry-After honoured, in seconds")

    @classmethod
    def from_env(cls, **overrides: float | int | None) -> HttpPolicy:
        """The policy from the env vars, with explicit non-None `overrides` taking precedence."""
        values: dict[str, Any] = {k: os.environ[v] for k, v in _ENV.items() if os.environ.get(v)}
        values.update({k: v for k, v in overrides.items() if v is not None})
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            error = exc.errors()[0]
            field = str(error["loc"][0])
            source = field if overrides.get(field) is not None else f"${_ENV[field]}"
            raise ConfigError(
                f"HTTP {field} from {source} = {error['input']!r} is invalid: {error['msg']}; "
                f"set it to a {'whole number' if field == 'retries' else 'number of seconds'} "
                f"within the allowed range"
            ) from None

    def delay(self, attempt: int) -> float:
        """Seconds to wait before retry `attempt` (1-based): exponential, bounded, with jitter."""
        ceiling = min(self.max_backoff, self.backoff * 2.0 ** (attempt - 1))
        return ceiling / 2 + random.uniform(0, ceiling / 2)


@overload
def get_json(url: str, params: Params | None = None, *, service: str = ..., expect: type[M],
             timeout: float | None = None, retries: int | None = None, backoff: float | None = None) -> M: ...
@overload
def get_json(url: str, params: Params | None = None, *, service: str = ..., expect: None = None,
             timeout: float | None = None, retries: int | None = None, backoff: float | None = None) -> Any: ...
def get_json(
    url: str,
    params: Params | None = None,
    *,
    service: str = "HTTP service",
    expect: type[M] | None = None,
    timeout: float | None = None,
    retries: int | None = None,
    backoff: float | None = None,
) -> M | Any:
    """GET `url` with query `params` and return its JSON body, validated as `expect` if given.

    `timeout`, `retries` and `backoff` default to the env vars (then 10 s, 2, 0.5 s).
    Raises `ServiceError` (and `ConfigError` for invalid settings). Errors show the URL
    with its query, so keep secrets out of `params`.
    """
    policy = HttpPolicy.from_env(timeout=timeout, retries=retries, backoff=backoff)
    response = _send(shared_client(), url, params, service, policy)
    try:
        body = response.json()
    except ValueError:
        raise ServiceError(
            service, str(response.url), f"answered with a body that is not JSON: {_excerpt(response)}",
            "the URL probably points to something else than this service's API (check the base URL)",
            response.status_code,
        ) from None
    if expect is None:
        return body
    try:
        return expect.model_validate(body)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"]) or "the body"
        raise ServiceError(
            service, str(response.url), f"answered JSON of an unexpected shape: {where}: {error['msg']}",
            "the service's format may have changed, or the base URL points to another service",
            response.status_code,
        ) from None


class _Shared:
    """The process's client, and the process it was made in (a forked child makes its own)."""

    lock = threading.Lock()
    client: httpx.Client | None = None
    pid = 0


def shared_client() -> httpx.Client:
    """The one `httpx.Client` of this process: connections are pooled and reused across calls
    and threads; it is closed at exit."""
    with _Shared.lock:
        if _Shared.client is None or _Shared.pid != os.getpid():
            _Shared.client = httpx.Client(follow_redirects=True, verify=_ssl_context(),
                                          headers={"User-Agent": USER_AGENT, "Accept": "application/json"})
            _Shared.pid = os.getpid()
        return _Shared.client


def close_client() -> None:
    """Close the shared client (its connections); the next call opens a new one."""
    with _Shared.lock:
        if _Shared.client is not None and _Shared.pid == os.getpid():
            _Shared.client.close()
        _Shared.client = None


atexit.register(close_client)


@cache
def _ssl_context() -> ssl.SSLContext:
    """httpx's default context, built once (building it takes ~50 ms)."""
    return httpx.create_ssl_context()


def retry_after(response: httpx.Response) -> float | None:
    """Seconds the answer's `Retry-After` asks to wait (0 for a date in the past), or None."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


def _send(client: httpx.Client, url: str, params: Params | None, service: str,
          policy: HttpPolicy) -> httpx.Response:
    attempts = policy.retries + 1
    tried = "tried once" if attempts == 1 else f"tried {attempts} times"
    for attempt in range(1, attempts + 1):
        wait: float | None = None
        try:
            response = client.get(url, params=params, timeout=policy.timeout)
        except httpx.TimeoutException:
            failure = ServiceError(
                service, url, f"no answer within {policy.timeout:g} s ({tried})",
                f"the service is slow or down; try again later, or raise ${TIMEOUT_ENV}",
            )
        except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
            raise ServiceError(service, url, f"invalid URL: {exc}", "check the service's base URL") from None
        except httpx.TransportError as exc:
            what = "unreachable" if isinstance(exc, httpx.ConnectError) else "connection failed"
            failure = ServiceError(
                service, url, f"{what} ({tried}): {exc or type(exc).__name__}",
                "check the network connection and the service's base URL",
            )
        except httpx.RequestError as exc:  # too many redirects, undecodable content
            raise ServiceError(service, url, f"request failed: {exc}", "check the service's base URL") from None
        else:
            if response.status_code < 400:
                return response
            asked = retry_after(response)
            failure = _http_error(service, response, tried, asked)
            if response.status_code < 500 and response.status_code != 429:
                raise failure
            if asked is not None and asked > policy.max_wait:
                raise _http_error(service, response, "not retried", asked)
            wait = asked
        if attempt < attempts:
            time.sleep(policy.delay(attempt) if wait is None else wait)
    raise failure


def _http_error(service: str, response: httpx.Response, tried: str, asked: float | None = None) -> ServiceError:
    status = response.status_code
    if status == 429 or status >= 500:
        problem = f"HTTP {status} {response.reason_phrase} ({tried})"
        hint = "too many requests" if status == 429 else "the service is failing"
        hint += "; try again later" if asked is None else f"; it asks to wait {round(asked, 1):g} s before trying again"
    else:
        problem = f"HTTP {status} {response.reason_phrase}"
        hint = {
            401: "the service requires credentials", 403: "the service refused access",
            404: "the URL does not exist; check the service's base URL",
        }.get(status, "the service rejected the request; check its parameters")
    return ServiceError(service, str(response.url), f"{problem}: {_excerpt(response)}", hint, status)


def _excerpt(response: httpx.Response, limit: int = 200) -> str:
    text = " ".join(response.text.split())
    if not text:
        return "(empty body)"
    return text if len(text) <= limit else text[:limit] + "..."


def is_loopback(host: str) -> bool:
    """True for `localhost`, 127.0.0.0/8, ::1 and IPv4-mapped loopback (``::ffff:127.0.0.1``);
    False for any other name or address (0.0.0.0 listens on every interface)."""
    if host == "localhost":
        return True
    try:
        address = ip_address(host.strip("[]").split("%")[0])
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return address.is_loopback or (mapped is not None and mapped.is_loopback)

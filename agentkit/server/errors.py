"""Errors as HTTP answers: a status, one sentence saying what is wrong and how to fix it, in
OpenAI's shape (`{"error": {"message", "type", "param", "code"}}`); never a stack trace. An
unexpected failure is a 500 carrying an error id; the log line (and the request's spans,
through the run's `request_id` metadata) carry the same id and the trace."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from agentkit.errors import AgentkitError, ContextLengthError, suggest

_log = logging.getLogger("agentkit.server")
_TYPES = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
          404: "not_found_error", 409: "conflict_error", 413: "request_too_large", 422: "invalid_request_error",
          429: "rate_limit_error", 503: "overloaded_error", 504: "timeout_error"}


class ApiError(Exception):
    """An answer other than success, with what the caller should do about it."""

    def __init__(self, status: int, message: str, *, param: str | None = None, code: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.param, self.code = status, message, param, code
        self.headers = headers or {}

    def response(self) -> JSONResponse:
        return error_response(self.status, self.message, param=self.param, code=self.code, headers=self.headers)

    def body(self) -> dict[str, Any]:
        """The `error` object of the answer (also sent as an event when a stream fails)."""
        return error_body(self.status, self.message, param=self.param, code=self.code)


def error_body(status: int, message: str, *, param: str | None = None, code: str | None = None,
               **extra: Any) -> dict[str, Any]:
    return {"message": message, "type": _TYPES.get(status, "server_error"), "param": param, "code": code, **extra}


def error_response(status: int, message: str, *, param: str | None = None, code: str | None = None,
                   headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": error_body(status, message, param=param, code=code, **extra)}, status_code=status,
                        headers=headers)


def not_found(what: str, name: str, known: list[str]) -> ApiError:
    """404 for an unknown model, graph or thread, listing what exists."""
    listing = ", ".join(known[:20]) if known else "none"
    return ApiError(404, f"unknown {what} {name!r}: {suggest(name, known)} (known: {listing})",
                    param=what, code=f"{what}_not_found")


def bad_request(exc: Exception, param: str | None = None) -> ApiError:
    """400 from an agentkit error that says what is wrong (context length, schema, options)."""
    code = "context_length_exceeded" if isinstance(exc, ContextLengthError) else None
    return ApiError(400, str(exc), param=param, code=code)


def timed_out(seconds: float) -> ApiError:
    """504 for a request that ran past the server's timeout (its generation was stopped)."""
    return ApiError(504, f"the request ran past this server's timeout of {seconds:g} s and was stopped; ask for "
                         f"fewer tokens, or raise --request-timeout (limits.request_timeout in agentkit.yaml)",
                    code="timeout")


def busy(retry_after: float, message: str) -> ApiError:
    return ApiError(503, message, code="overloaded", headers={"Retry-After": str(max(1, round(retry_after)))})


def internal_error(request_id: str, exc: BaseException) -> JSONResponse:
    """Log `exc` with its trace under `request_id`; the answer names only the id."""
    _log.error("request %s failed: %s", request_id, exc, exc_info=exc)
    return error_response(500, f"internal error (error id {request_id}); the server log and the request's trace "
                               f"have the details under this id", code="internal_error", error_id=request_id)


def _field(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body",)]
    return ".".join(parts) or "body"


def install_handlers(app: FastAPI) -> None:
    """Every error the app can raise answers in the shape above."""

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        if any(e.get("type") == "json_invalid" for e in errors):
            detail = next(e for e in errors if e.get("type") == "json_invalid")
            why = detail.get("ctx", {}).get("error", "parse error")
            return error_response(422, f"the body is not valid JSON ({why}); send a JSON object", param="body",
                                  code="invalid_json")
        problems = [f"{_field(tuple(e['loc']))}: {e['msg'].removeprefix('Value error, ')}" for e in errors[:5]]
        first = _field(tuple(errors[0]["loc"])) if errors else None
        return error_response(422, "; ".join(problems) + " — fix these fields of the request", param=first,
                              code="invalid_field")

    @app.exception_handler(ApiError)
    async def _api(request: Request, exc: ApiError) -> JSONResponse:
        return exc.response()

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> JSONResponse:
        if exc.status_code == 404:
            message = f"no route {request.method} {request.url.path}; see /docs for the API"
        elif exc.status_code == 405:
            message = f"{request.method} is not allowed on {request.url.path}; see /docs for the API"
        else:
            message = str(exc.detail)
        return error_response(exc.status_code, message, headers=getattr(exc, "headers", None))

    @app.exception_handler(AgentkitError)
    async def _agentkit(request: Request, exc: AgentkitError) -> JSONResponse:
        return bad_request(exc).response()

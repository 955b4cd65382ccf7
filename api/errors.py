"""One error shape for every failure: `{"error": code, "message": text, "fields": [...]}`.

`fields` names each offending input by its path in the request (`events[3].name`,
`nodes.big_cart.branches[0].when`), so a client can point at every problem at once.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import asyncpg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from temporalio.service import RPCError, RPCStatusCode

from services.errors import (
    Conflict,
    DomainError,
    FieldProblem,
    Forbidden,
    Invalid,
    NotFound,
    Overloaded,
    Unavailable,
)

CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "too_many_requests",
    503: "unavailable",
}

FieldError = dict[str, str]
BODY_SCOPE_KEY = "wayline.body"
# Seconds a client waits before retrying a 503: long enough for a restart to be noticed.
RETRY_AFTER_SECONDS = 5
RETRY_AFTER = {"Retry-After": str(RETRY_AFTER_SECONDS)}


class ApiError(Exception):
    """Raised by handlers and dependencies; rendered by `api_error_handler`."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        fields: Sequence[FieldError] = (),
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code or CODES.get(status, "error")
        self.message = message
        self.fields = list(fields)
        self.headers = headers


def not_found(what: str) -> ApiError:
    return ApiError(404, f"{what} not found")


def invalid(fields: Iterable[FieldError], message: str = "the request is invalid") -> ApiError:
    return ApiError(422, message, fields=list(fields))


def field(name: str, message: str) -> FieldError:
    return {"field": name, "message": message}


def error_response(
    status: int,
    code: str,
    message: str,
    fields: Sequence[FieldError] = (),
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body = {"error": code, "message": message, "fields": list(fields)}
    return JSONResponse(body, status_code=status, headers=headers)


def loc_path(loc: Sequence[int | str]) -> str:
    """`("body", "events", 3, "name")` → `events[3].name`; the bare body is `body`."""
    parts = list(loc)
    if parts and parts[0] in ("body", "query", "path", "header", "cookie"):
        parts = parts[1:] if len(parts) > 1 else parts
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _message(err: dict[str, Any]) -> str:
    if err.get("type") == "extra_forbidden":
        return "unknown field"
    if err.get("type") == "missing":
        return "field required"
    msg = str(err.get("msg", "invalid value"))
    return msg.removeprefix("Value error, ")


def _json_position(doc: object, pos: int) -> str:
    if isinstance(doc, bytes | bytearray):
        doc = bytes(doc).decode("utf-8", "replace")
    if not isinstance(doc, str):
        return f"position {pos}"
    line = doc.count("\n", 0, pos) + 1
    column = pos - (doc.rfind("\n", 0, pos) + 1) + 1
    return f"line {line} column {column} (char {pos})"


async def api_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.code, exc.message, exc.fields, exc.headers)


DOMAIN_STATUS: dict[type[DomainError], int] = {
    NotFound: 404,
    Conflict: 409,
    Forbidden: 403,
    Invalid: 422,
    Overloaded: 429,
    Unavailable: 503,
}


def _fields_of(problems: Iterable[FieldProblem]) -> list[FieldError]:
    return [field(p.field, p.message) for p in problems]


def _retry_after(exc: DomainError) -> dict[str, str]:
    """How long a refused client waits: an overload says, an outage waits for a restart."""
    if isinstance(exc, Overloaded):
        return {"Retry-After": str(exc.retry_after)}
    return RETRY_AFTER


async def domain_error_handler(request: Request, exc: Exception) -> JSONResponse:
    """A domain refusal as the answer its kind stands for (`DOMAIN_STATUS`)."""
    assert isinstance(exc, DomainError)
    status = next((s for kind, s in DOMAIN_STATUS.items() if isinstance(exc, kind)), 500)
    fields = _fields_of(exc.problems) if isinstance(exc, Invalid) else []
    headers = _retry_after(exc) if status in (429, 503) else None
    return error_response(status, CODES.get(status, "error"), exc.message, fields, headers)


# What PostgreSQL being down, restarting or full looks like from asyncpg (the socket errors,
# `TimeoutError` from a pool acquire included, are `OSError`s).
POSTGRES_OUTAGE: tuple[type[BaseException], ...] = (
    OSError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.InterfaceError,  # "connection is closed"
    asyncpg.exceptions.TooManyConnectionsError,
    asyncpg.exceptions.PostgresConnectionError,  # ConnectionDoesNotExistError is one
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.CrashShutdownError,
)
# The OSErrors that are about the network; asyncpg raises a plain OSError ("Multiple
# exceptions: ...") when every address of a host refused.
_NETWORK_ERRORS = (ConnectionError, TimeoutError, socket.gaierror)
# The lazy Temporal client's first call raises this when the server cannot be reached.
_TEMPORAL_CONNECT = "Failed client connect"


def outage_of(exc: BaseException) -> str | None:
    """Which dependency `exc` says is unreachable, or None when it is a plain bug."""
    if (
        isinstance(exc, OSError)
        and type(exc) is not OSError
        and not isinstance(exc, _NETWORK_ERRORS)
    ):
        return None  # a file the handler could not read is a bug, not an outage
    if isinstance(exc, POSTGRES_OUTAGE):
        return "the database"
    if isinstance(exc, RPCError) and exc.status == RPCStatusCode.UNAVAILABLE:
        return "Temporal"
    if isinstance(exc, RuntimeError) and str(exc).startswith(_TEMPORAL_CONNECT):
        return "Temporal"
    return None


async def outage_handler(request: Request, exc: Exception) -> JSONResponse:
    """An unreachable dependency as 503 + Retry-After, so clients (Segment's too) retry.

    The request is not acknowledged: a connection lost while committing may still have
    stored it, which a retry with the same ids (`event_id`, Segment's `messageId`) makes
    harmless. Any other error is re-raised and stays a 500."""
    what = outage_of(exc)
    if what is None:
        raise exc
    message = f"{what} is unreachable; the request was not acknowledged, retry it later"
    return error_response(503, "unavailable", message, (), RETRY_AFTER)


async def validation_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    for err in errors:
        if err.get("type") == "json_invalid":
            loc = err.get("loc", ())
            pos = loc[-1] if loc and isinstance(loc[-1], int) else 0
            reason = (err.get("ctx") or {}).get("error", "invalid JSON")
            where = _json_position(exc.body, pos)
            return error_response(
                400,
                "malformed_json",
                f"malformed JSON at {where}: {reason}",
                [field("body", f"{reason} at {where}")],
            )
    fields = [field(loc_path(err.get("loc", ())), _message(err)) for err in errors]
    return error_response(422, "validation_error", "the request is invalid", fields)


async def http_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    message = exc.detail if isinstance(exc.detail, str) else json.dumps(exc.detail)
    return error_response(status, CODES.get(status, "error"), message, (), exc.headers)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, api_error_handler)
    app.add_exception_handler(DomainError, domain_error_handler)
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    app.add_exception_handler(StarletteHTTPException, http_error_handler)
    for kind in (*POSTGRES_OUTAGE, RPCError, RuntimeError):
        app.add_exception_handler(kind, outage_handler)


class BodyLimitMiddleware:
    """Refuse request bodies over `max_bytes` with 413, before any handler runs.

    A declared Content-Length is checked up front; a chunked body is counted while it is
    read, and the request is answered 413 as soon as it crosses the limit. The (bounded)
    body is then replayed to the application, which keeps handlers unaware of the limit.
    """

    def __init__(
        self, app: ASGIApp, max_bytes: int, streamed: Callable[[str], bool] = lambda _: False
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        # Paths whose handlers read the body as a stream and bound it themselves (uploads).
        self.streamed = streamed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.streamed(scope.get("path", "")):
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await self._too_large(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # client went away
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._too_large(scope, receive, send)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        scope[BODY_SCOPE_KEY] = body
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(
            413,
            "payload_too_large",
            f"the request body exceeds the limit of {self.max_bytes} bytes",
        )
        await response(scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    for key, value in scope.get("headers", ()):
        if key == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None

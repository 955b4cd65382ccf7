"""Input PostgreSQL cannot store, refused at the door with the path of the first offender.

A JSON, YAML or text body must be UTF-8 (RFC 8259 requires it of JSON): every handler
decodes it so, and each used to word its own failure, some without naming the body. It is
checked here once, for every route: 400 naming `body`, with the position of the first bad
byte. A body with a `Content-Encoding` (Segment's gzip) is checked by its reader unzipped.

PostgreSQL's text and JSONB refuse the NUL character, UTF-8 cannot encode a lone surrogate
(`"\\ud800"`), and JSONB has no NaN or infinity; Python's JSON parser accepts all of these,
and nests as deep as its recursion limit. Left alone, each became a 500 somewhere behind a
handler (or a Segment batch its client retried forever). The body is checked once, before
routing, so every route, present and future, is covered; path and query parameters are
checked by an app-wide dependency, which knows their names.

Integers beyond ±(2^53 - 1) are refused too (422 naming the path), though JSONB keeps them
exact: a browser, the console or any JavaScript consumer reads 9007199254740993 as
9007199254740992, so a stored value would silently change on its way out. A client sends
such a number as a string; Segment's id fields (`userId`, `messageId`, ...), read as text,
may hold any integer. Floats of any finite size pass: they are doubles everywhere.

The common case costs three scans of the raw bytes in C: only a body that might hold an
offender is parsed here and walked.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from api.errors import BODY_SCOPE_KEY, ApiError, error_response, field
from imports.json_paths import walk
from imports.rows import BEYOND_EXACT, MAX_EXACT_INTEGER
from journeys.loader import is_json

MAX_DEPTH = 64  # levels of arrays and objects in one document
# Sixteen digits in a row may be an integer past MAX_EXACT_INTEGER (16 digits).
_SUSPECT = re.compile(rb"\\u0000|\\u[dD][89a-fA-F]|NaN|Infinity|[eE]\+?\d{3}|\d{16}")
_SURROGATE = re.compile("[\ud800-\udfff]")
_TOO_DEEP = f"nested deeper than {MAX_DEPTH} levels"


@dataclass(frozen=True)
class Unstorable:
    """The first offender: where it is, why, and 400 (the body's shape) or 422 (a value)."""

    status: int
    path: str
    reason: str
    code: str | None = None  # default: malformed_json for a 400, validation_error for a 422

    def error(self) -> ApiError:
        code = self.code or ("malformed_json" if self.status == 400 else "validation_error")
        message = f"{self.path}: {self.reason}"
        return ApiError(self.status, message, code=code, fields=[field(self.path, self.reason)])


def string_problem(text: str) -> str | None:
    """Why PostgreSQL would refuse this string, or None."""
    if "\x00" in text:
        return "contains a NUL character (\\u0000)"
    if _SURROGATE.search(text):
        return "contains a lone surrogate (\\ud800-\\udfff), which is not valid UTF-8"
    return None


# Segment ids may be numbers and are read as their exact text (api/schemas/segment.py), so
# a 64-bit id sent by a Java or Python library stays whole: no client reads it as a number.
_SEGMENT_ID = re.compile(r"(batch\[\d+\]\.)?(userId|anonymousId|previousId|messageId|groupId)")


def _is_id(path: str) -> bool:
    """A Segment call's id field (top level or a batch item's), not a property so named."""
    return _SEGMENT_ID.fullmatch(path) is not None


def _value_problem(value: Any, path: str) -> str | None:
    if isinstance(value, str):
        return string_problem(value)
    if isinstance(value, float) and not math.isfinite(value):
        return f"{value} is not a number JSON can store"
    if isinstance(value, int) and abs(value) > MAX_EXACT_INTEGER and not _is_id(path):
        return f"{value} is {BEYOND_EXACT}; send it as a string"
    if isinstance(value, Mapping):
        bad = next((k for k in value if isinstance(k, str) and string_problem(k)), None)
        return None if bad is None else f"a key {string_problem(bad)}"
    return None


def first_unstorable(document: Any, root: str = "") -> Unstorable | None:
    """The path and reason of the first value PostgreSQL would refuse, depth included."""
    for path, value, depth in walk(document, root):
        if depth >= MAX_DEPTH and isinstance(value, Mapping | list):
            return Unstorable(400, path or "body", _TOO_DEEP)
        problem = _value_problem(value, path)
        if problem is not None:
            return Unstorable(422, path or "body", problem)
    return None


def encoding_problem(body: bytes) -> Unstorable | None:
    """400 naming the body when it is not UTF-8; an ASCII body is passed without decoding."""
    if body.isascii():
        return None
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        reason = f"not valid UTF-8: byte 0x{body[exc.start]:02x} at position {exc.start}"
        return Unstorable(400, "body", reason, code="bad_request")
    return None


def body_problem(body: bytes) -> Unstorable | None:
    """What in a JSON body must not reach a handler, if anything.

    Malformed JSON is left to FastAPI, which reports its position."""
    if body.count(b"[") + body.count(b"{") <= MAX_DEPTH and not _SUSPECT.search(body):
        return None
    try:
        document = json.loads(body)  # NaN, Infinity and 1e400 load as floats, named below
    except RecursionError:
        return Unstorable(400, "body", _TOO_DEEP)
    except ValueError:
        return None
    return first_unstorable(document)


def _is_text(content_type: str, headers: Mapping[bytes, bytes]) -> bool:
    """A body read as UTF-8 text by its handler: JSON, YAML, `text/*`, not content-encoded."""
    if headers.get(b"content-encoding", b"identity").strip().lower() != b"identity":
        return False
    media = content_type.split(";")[0].strip().lower()
    return is_json(media) or "yaml" in media or media.startswith("text/")


def door_problem(body: bytes, scope: Scope) -> Unstorable | None:
    """What in a buffered request body must not reach a handler, if anything."""
    headers = dict(scope.get("headers", ()))
    content_type = headers.get(b"content-type", b"").decode("latin-1")
    problem = encoding_problem(body) if _is_text(content_type, headers) else None
    if problem is None and is_json(content_type):
        problem = body_problem(body)
    return problem


class StorableBodyMiddleware:
    """Answers 400 for a text body that is not UTF-8, and 400/422 naming the field for a
    JSON body PostgreSQL could not store.

    Runs inside `BodyLimitMiddleware`, which buffered the (bounded) body in the scope."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = scope.get(BODY_SCOPE_KEY) if scope["type"] == "http" else None
        problem = door_problem(body, scope) if isinstance(body, bytes) else None
        if problem is None:
            await self.app(scope, receive, send)
            return
        error = problem.error()
        answer = error_response(error.status, error.code, error.message, error.fields)
        await answer(scope, receive, send)


async def storable_parameters(request: Request) -> None:
    """An app-wide dependency: path and query parameters PostgreSQL could store."""
    params = [*request.path_params.items(), *request.query_params.multi_items()]
    for name, value in params:
        problem = string_problem(value) if isinstance(value, str) else None
        if problem is not None:
            raise ApiError(422, f"{name}: {problem}", fields=[field(name, problem)])

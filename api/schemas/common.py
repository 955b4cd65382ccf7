"""Pieces shared by every resource's schemas."""

from __future__ import annotations

from typing import Annotated, Any, Generic, TypeVar

from fastapi import Path, Query
from pydantic import BaseModel, ConfigDict

T = TypeVar("T")

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"
"""Journey ids and template names: readable in workflow ids (`journey:{id}:{profile}`)."""

JourneyIdPath = Annotated[str, Path(pattern=ID_PATTERN, description="Journey id")]
TemplateNamePath = Annotated[str, Path(pattern=ID_PATTERN, description="Template name")]
FragmentNamePath = Annotated[str, Path(pattern=ID_PATTERN, description="Fragment name")]
ProfileIdPath = Annotated[str, Path(min_length=1, max_length=200, description="Profile id")]

CURSOR_PATTERN = r"^[A-Za-z0-9_-]+={0,2}$"
"""Page cursors are URL-safe base64 of what the previous page ended on."""
BeforeCursor = Annotated[
    str | None,
    Query(pattern=CURSOR_PATTERN, max_length=1000, description="A `next_before` cursor"),
]


class Body(BaseModel):
    """A request body: unknown fields are errors, named one by one."""

    model_config = ConfigDict(extra="forbid")


class FieldProblem(BaseModel):
    field: str
    message: str


class ErrorPublic(BaseModel):
    """The body of every error answer."""

    error: str
    message: str
    fields: list[FieldProblem] = []


class Page(BaseModel, Generic[T]):
    items: list[T]
    count: int


ERRORS: dict[int | str, dict[str, Any]] = {
    s: {"model": ErrorPublic, "content": {"application/json": {}}}
    for s in (400, 401, 403, 404, 409, 413, 415, 422)
}
ERRORS[503] = {
    "model": ErrorPublic,
    "content": {"application/json": {}},
    "description": "PostgreSQL or Temporal is unreachable; retry after `Retry-After` seconds",
    "headers": {"Retry-After": {"schema": {"type": "integer"}, "description": "seconds"}},
}
"""Documented error answers (all share `ErrorPublic`, always JSON: also on the HTML pages)."""

AUTH_ERRORS: dict[int | str, dict[str, Any]] = {s: ERRORS[s] for s in (401, 403, 503)}
"""The answers of an authenticated route that takes no input."""

BULK_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    429: {
        "model": ErrorPublic,
        "content": {"application/json": {}},
        "description": "Too many events wait to be routed (backpressure): nothing was stored; "
        "retry after `Retry-After` seconds",
        "headers": {"Retry-After": {"schema": {"type": "integer"}, "description": "seconds"}},
    },
}

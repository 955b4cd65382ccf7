"""What a domain operation refuses, said without HTTP: `api/errors.py` maps each to a status.

Every error carries the sentence a caller reads; `Invalid` also names each offending
input by its path, so a client can point at every problem at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class FieldProblem:
    """One offending input: where it is (`orchestration.branches[0].when`) and what is wrong."""

    field: str
    message: str


class DomainError(Exception):
    """The base of every refusal; the message is the whole explanation."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    """The thing named does not exist."""

    def __init__(self, what: str) -> None:
        super().__init__(f"{what} not found")


def found(value: T | None, what: str) -> T:
    """`value`, or NotFound naming `what` when a lookup gave nothing."""
    if value is None:
        raise NotFound(what)
    return value


class Conflict(DomainError):
    """The thing exists but its state forbids the operation (archived, never published)."""


class Forbidden(DomainError):
    """The caller may not do this, whatever the state (the four-eyes rule)."""


class Unavailable(DomainError):
    """A dependency (Temporal) failed; what was committed before it is said in the message."""


class Overloaded(DomainError):
    """Accepting more now would outrun routing; nothing was stored, retry after a while."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Invalid(DomainError):
    """The input breaks rules its schema cannot check; each problem names its field."""

    def __init__(self, problems: Iterable[FieldProblem], message: str) -> None:
        super().__init__(message)
        self.problems = list(problems)

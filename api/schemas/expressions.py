"""The answer of `GET /v1/schemas/expressions.json`: what expressions may name."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

_FROM_ATTRIBUTES = ConfigDict(from_attributes=True)


class NamePublic(BaseModel):
    model_config = _FROM_ATTRIBUTES

    name: str
    doc: str = Field(description="One line: what it does")
    signature: str | None = Field(description="How to call it, e.g. days(n); null if unknown")


class RootPublic(BaseModel):
    model_config = _FROM_ATTRIBUTES

    name: str = Field(description="A top-level name of the context, e.g. profile")
    doc: str
    fields: list[str] = Field(description="Its fields known in advance (none for a mapping)")


class ExpressionNamesPublic(BaseModel):
    """Context roots, helper functions, filters (`x | upper`) and tests (`x is defined`)."""

    model_config = _FROM_ATTRIBUTES

    roots: list[RootPublic]
    helpers: list[NamePublic]
    filters: list[NamePublic]
    tests: list[NamePublic]

"""Saving a template: every part (and every locale variant's part) compiles with the
fragments it includes, and what it includes is recorded for the fragments' usage."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import asyncpg

from db.sql import q
from services.errors import Invalid
from services.fragments import TEMPLATE, Source, check_sources, locked_fragments, record_uses


@dataclass(frozen=True)
class Parts:
    """The Jinja parts of a template or of one of its locale variants."""

    body: str
    subject: str | None = None
    html: str | None = None

    def sources(self, prefix: str = "", locale: str | None = None) -> list[Source]:
        found = (
            ("subject", self.subject, False),
            ("body", self.body, False),
            ("html", self.html, True),
        )
        return [
            Source(f"{prefix}{name}", text, html, locale)
            for name, text, html in found
            if text is not None
        ]

    def texts(self) -> list[str | None]:
        return [self.subject, self.body, self.html]


@dataclass(frozen=True)
class TemplateSpec:
    channel: str
    parts: Parts
    topic: str | None
    transactional: bool
    locales: Mapping[str, Parts]

    def sources(self) -> list[Source]:
        out = self.parts.sources()
        for tag, variant in self.locales.items():
            out += variant.sources(f"locales.{tag}.", tag)
        return out

    def texts(self) -> list[str | None]:
        return [t for parts in (self.parts, *self.locales.values()) for t in parts.texts()]


def _stored_locales(locales: Mapping[str, Parts]) -> dict[str, Any]:
    return {
        tag: {"subject": p.subject, "body": p.body, "html": p.html} for tag, p in locales.items()
    }


async def save(pool: asyncpg.Pool, name: str, spec: TemplateSpec) -> tuple[dict[str, Any], bool]:
    """Create or replace; the saved row and whether it was created. Invalid names each part
    that does not compile (an unknown fragment included is one)."""
    async with pool.acquire() as conn, conn.transaction():
        problems = check_sources(spec.sources(), await locked_fragments(conn))
        if problems:
            raise Invalid(problems, "the template does not compile")
        p = spec.parts
        row = await conn.fetchrow(
            q("put_template"),
            name,
            spec.channel,
            p.subject,
            p.body,
            p.html,
            spec.topic,
            spec.transactional,
            _stored_locales(spec.locales),
        )
        assert row is not None
        await record_uses(conn, TEMPLATE, name, spec.texts())
    saved = dict(row)
    return saved, saved.pop("created")

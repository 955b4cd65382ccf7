"""The decision catalog kept by id: placements, offers, decision policies (migration 019).

Saving checks what the models cannot see alone (a placement or audience that exists, a
representation of the placement's content type), reporting every problem with its path; a
placement or offer still named elsewhere cannot be deleted. Propose reads the catalog
through `CatalogCache`, which parses it again only when a write moved its version.
"""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg

from db.sql import q
from db.types import Executor
from decisions.catalog import Catalog
from decisions.model import OfferSpec, PlacementSpec, PolicySpec
from decisions.references import content_problems, offer_problems, policy_problems
from journeys.problems import Problem
from services.errors import Conflict, FieldProblem, Invalid, NotFound

Saved = tuple[asyncpg.Record, bool]


def _refuse(problems: list[Problem], what: str) -> None:
    if problems:
        fields = [FieldProblem(p.path, p.message) for p in problems]
        raise Invalid(fields, f"the {what} names what does not exist or does not fit")


def _saved(row: asyncpg.Record | None) -> Saved:
    assert row is not None
    return row, bool(row["created"])


async def put_placement(pool: asyncpg.Pool, placement_id: str, spec: PlacementSpec) -> Saved:
    row = await pool.fetchrow(
        q("put_placement"),
        placement_id,
        spec.name,
        spec.channel,
        spec.content_type,
        spec.description,
    )
    return _saved(row)


async def delete_placement(pool: asyncpg.Pool, placement_id: str) -> None:
    async with pool.acquire() as conn, conn.transaction():
        users = await conn.fetch(q("placement_users"), placement_id)
        if users:
            named = ", ".join(f"{r['kind']} {r['id']!r}" for r in users)
            raise Conflict(f"placement {placement_id!r} is used by {named}")
        if await conn.fetchval(q("delete_placement"), placement_id) is None:
            raise NotFound(f"placement {placement_id!r}")


def _cap_columns(spec: OfferSpec) -> tuple[Any, ...]:
    """The columns the ingest's SQL counts displayed / clicked caps with."""
    caps = spec.caps
    if caps is None:
        return ("proposed", None, None, None, None)
    profile, total = caps.per_profile, caps.total
    return (
        caps.counted_on,
        profile.limit if profile else None,
        profile.seconds if profile else None,
        total.limit if total else None,
        total.seconds if total else None,
    )


async def put_offer(pool: asyncpg.Pool, offer_id: str, spec: OfferSpec) -> Saved:
    async with pool.acquire() as conn, conn.transaction():
        placements = await _placements(conn)
        audience = spec.eligibility.audience if spec.eligibility else None
        audiences = {audience} if audience and await _audience_exists(conn, audience) else set()
        problems = offer_problems(spec, placements, audiences) + content_problems(spec, placements)
        _refuse(problems, "offer")
        row = await conn.fetchrow(
            q("put_offer"), offer_id, spec.model_dump(mode="json"), *_cap_columns(spec)
        )
    return _saved(row)


async def _audience_exists(conn: Executor, audience_id: str) -> bool:
    return bool(await conn.fetchval(q("audience_exists"), audience_id))


async def _placements(conn: Executor) -> dict[str, PlacementSpec]:
    rows = await conn.fetch(q("catalog_placements"))
    return {r["placement_id"]: _placement(r) for r in rows}


def _placement(row: asyncpg.Record) -> PlacementSpec:
    return PlacementSpec(**{k: v for k, v in dict(row).items() if k != "placement_id"})


async def delete_offer(pool: asyncpg.Pool, offer_id: str) -> None:
    async with pool.acquire() as conn, conn.transaction():
        users = [r["policy_id"] for r in await conn.fetch(q("offer_users"), offer_id)]
        if users:
            raise Conflict(f"offer {offer_id!r} is used by decision {', '.join(users)}")
        if await conn.fetchval(q("delete_offer"), offer_id) is None:
            raise NotFound(f"offer {offer_id!r}")


async def put_policy(pool: asyncpg.Pool, policy_id: str, spec: PolicySpec) -> Saved:
    async with pool.acquire() as conn, conn.transaction():
        placements = await _placements(conn)
        offers = {r["offer_id"]: stored_offer(r) for r in await conn.fetch(q("catalog_offers"))}
        _refuse(policy_problems(spec, placements, offers), "decision")
        row = await conn.fetchrow(q("put_decision_policy"), policy_id, spec.model_dump(mode="json"))
    return _saved(row)


async def delete_policy(pool: asyncpg.Pool, policy_id: str) -> None:
    if await pool.fetchval(q("delete_decision_policy"), policy_id) is None:
        raise NotFound(f"decision {policy_id!r}")


def stored_offer(row: asyncpg.Record) -> OfferSpec:
    """A stored offer was validated when saved; a failure here is a bug, loudly."""
    return OfferSpec.model_validate(row["definition"])


def stored_policy(row: asyncpg.Record) -> PolicySpec:
    return PolicySpec.model_validate(row["definition"])


async def load_catalog(conn: Executor, version: int) -> Catalog:
    placements = await _placements(conn)
    offers = {r["offer_id"]: stored_offer(r) for r in await conn.fetch(q("catalog_offers"))}
    rows = await conn.fetch(q("catalog_policies"))
    policies = {r["policy_id"]: stored_policy(r) for r in rows}
    return Catalog(version, placements, offers, policies)


class CatalogCache:
    """The parsed catalog of the last version seen; one reload per write, not per request."""

    def __init__(self) -> None:
        self._catalog: Catalog | None = None
        self._lock = asyncio.Lock()

    async def at(self, conn: Executor, version: int) -> Catalog:
        """The catalog of `version` (read by the caller in the same round trip as its data)."""
        if self._catalog is not None and self._catalog.version == version:
            return self._catalog
        async with self._lock:
            if self._catalog is None or self._catalog.version != version:
                self._catalog = await load_catalog(conn, version)
            return self._catalog

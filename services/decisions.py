"""Deciding: which offers a profile gets from a decision policy, recorded (decision 14).

One request: read the catalog (cached by version), the profile and the counters; keep the
eligible candidates and rank them (`decisions/`); then, in one transaction, walk the ranking
taking each offer's caps with a conditional upsert, record the proposition and add to the
(policy, offer) rows that are the bandit's state and the report's counts. A request id seen
before answers its recorded proposition, so a retry neither counts nor caps twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import astuple, dataclass, field
from datetime import datetime
from typing import Any

import asyncpg

from db.pool import acquired
from db.sql import q
from db.types import Connection, Executor
from decisions.caps import (
    CounterKey,
    Limit,
    has_room,
    limits,
    shard_of,
    shards_with_room,
    taken_at_proposal,
)
from decisions.catalog import Catalog
from decisions.eligibility import Eligibility, Facts
from decisions.model import OfferSpec, PolicySpec
from decisions.ranking import Arm, Scored, proposition_id, seed
from decisions.selection import Chosen, Picker
from services.decision_catalog import CatalogCache
from services.errors import NotFound, Unavailable

CATALOG = CatalogCache()
DEADLOCK_ATTEMPTS = 5


@dataclass(frozen=True)
class DecisionRequest:
    policy_id: str
    profile_id: str
    request_id: str | None = None
    event: Mapping[str, Any] = field(default_factory=dict)
    context: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Proposed:
    offer_id: str
    name: str
    placement: str
    content_type: str
    content: Any
    score: float | None
    reason: str


@dataclass(frozen=True)
class Proposition:
    proposition_id: str
    policy_id: str
    request_id: str
    profile_id: str
    offers: list[Proposed]
    fallback: bool
    cap_hits: list[str]
    created_at: datetime


class _Replayed(Exception):
    """The same request was recorded meanwhile: roll back and answer that one."""


async def propose(
    pool: asyncpg.Pool, request: DecisionRequest, now: datetime, cache: CatalogCache = CATALOG
) -> Proposition:
    """The policy's offers for the profile; NotFound for an unknown policy."""
    request_id = request.request_id or str(uuid.uuid4())
    async with acquired(pool) as conn:
        inputs = await conn.fetchrow(q("decision_inputs"), request.profile_id)
        assert inputs is not None  # decision_catalog has its one row from migration 019
        catalog = await cache.at(conn, int(inputs["version"]))
        policy = catalog.policies.get(request.policy_id)
        if policy is None:
            raise NotFound(f"decision {request.policy_id!r}")
        if request.request_id is not None:  # a retry answers what was recorded
            found = await _recorded(conn, catalog, request.policy_id, request_id)
            if found is not None:
                return found
        try:
            facts = _facts(inputs, request, now)
            return await _decide_retrying(conn, catalog, policy, request, request_id, facts)
        except _Replayed:
            replayed = await _recorded(conn, catalog, request.policy_id, request_id)
            assert replayed is not None
            return replayed


async def _decide_retrying(
    conn: Connection,
    catalog: Catalog,
    policy: PolicySpec,
    request: DecisionRequest,
    request_id: str,
    facts: Facts,
) -> Proposition:
    """Decisions that take the same counters in different orders (an explored ranking) can
    deadlock; PostgreSQL aborts one, whose transaction rolled back whole: it decides again."""
    for _ in range(DEADLOCK_ATTEMPTS - 1):
        try:
            return await _decide(conn, catalog, policy, request, request_id, facts)
        except asyncpg.DeadlockDetectedError:
            continue
    try:
        return await _decide(conn, catalog, policy, request, request_id, facts)
    except asyncpg.DeadlockDetectedError as exc:
        raise Unavailable("too many concurrent decisions on the same caps; retry") from exc


async def _recorded(
    conn: Executor, catalog: Catalog, policy_id: str, request_id: str
) -> Proposition | None:
    row = await conn.fetchrow(q("read_proposition"), policy_id, request_id)
    if row is None:
        return None
    chosen = [Chosen(o["offer_id"], o["placement"], o["score"], o["reason"]) for o in row["offers"]]
    return Proposition(
        row["proposition_id"],
        policy_id,
        request_id,
        row["profile_id"],
        [_proposed(catalog, c) for c in chosen if c.offer_id in catalog.offers],
        row["fallback"],
        list(row["cap_hits"]),
        row["created_at"],
    )


def _proposed(catalog: Catalog, chosen: Chosen) -> Proposed:
    offer = catalog.offers[chosen.offer_id]
    representation = offer.representations.get(chosen.placement)
    return Proposed(
        chosen.offer_id,
        offer.name,
        chosen.placement,
        catalog.placements[chosen.placement].content_type,
        representation.content if representation else None,
        chosen.score,
        chosen.reason,
    )


PROFILE_FIELDS = ("email", "phone", "timezone", "attributes", "audiences")


def _facts(inputs: asyncpg.Record, request: DecisionRequest, now: datetime) -> Facts:
    """A profile never stored is an empty one, as journeys see it."""
    known = inputs["profile_id"] is not None
    profile: dict[str, Any] = {"profile_id": request.profile_id}
    for name in PROFILE_FIELDS:
        profile[name] = inputs[name] if known else None
    profile["attributes"] = profile["attributes"] or {}
    profile["audiences"] = list(profile["audiences"] or [])
    return Facts(profile, dict(request.event), dict(request.context), now)


async def _arms(conn: Executor, policy_id: str, policy: PolicySpec) -> dict[str, Arm]:
    if policy.ranking.method != "auto":
        return {}
    rows = await conn.fetch(q("decision_arms"), policy_id)
    return {r["offer_id"]: Arm(int(r["propositions"]), int(r["goals"])) for r in rows}


async def _decide(
    conn: Connection,
    catalog: Catalog,
    policy: PolicySpec,
    request: DecisionRequest,
    request_id: str,
    facts: Facts,
) -> Proposition:
    now = facts.now
    arms = await _arms(conn, request.policy_id, policy)
    ranked = catalog.ranked(request.policy_id, facts, arms, seed(request.profile_id, request_id))
    pid = proposition_id(request.policy_id, request_id)
    shard = shard_of(request_id)
    candidates = catalog.candidates(request.policy_id)
    gate = _Gate(candidates, Eligibility(facts), request.profile_id, now, shard)
    async with conn.transaction():
        picked = await _pick(conn, policy, ranked, gate)
        picker, hits = picked.picker, picked.hits
        fallbacks = picker.fallbacks()
        chosen = picker.chosen + fallbacks
        stored = [
            {"offer_id": c.offer_id, "placement": c.placement, "score": c.score, "reason": c.reason}
            for c in chosen
        ]
        inserted = await conn.fetchval(
            q("record_proposition"),
            pid,
            request.policy_id,
            request_id,
            request.profile_id,
            stored,
            bool(fallbacks),
            hits,
            now,
            [c.offer_id for c in chosen],
            shard,
        )
        if inserted is None:
            raise _Replayed
    return Proposition(
        pid,
        request.policy_id,
        request_id,
        request.profile_id,
        [_proposed(catalog, c) for c in chosen],
        bool(fallbacks),
        hits,
        now,
    )


@dataclass(frozen=True)
class _Gate:
    """What an offer must pass, besides the picker's exclusions, to be proposed."""

    offers: Mapping[str, OfferSpec]
    eligible: Eligibility
    profile_id: str
    now: datetime
    shard: int  # where this decision's totals and bandit rows count first (decisions.caps)


async def _pick(conn: Connection, policy: PolicySpec, ranked: list[Scored], gate: _Gate) -> Picked:
    """Plans the offers from the counters as they are, then takes the planned caps in one
    canonical order (so two decisions never wait on each other's counters in a cycle); an
    offer whose cap was taken meanwhile is refused and the plan made again without it."""
    refused: set[str] = set()
    hits: list[str] = []
    counts: dict[CounterKey, int] = {}
    while True:
        picker = Picker(policy)
        for placement in policy.placements:
            await _fill(conn, picker, placement, ranked, gate, _Seen(refused, hits, counts))
        lost = await _take_all(conn, _planned_limits(picker, gate), counts, gate.shard)
        if not lost:
            return Picked(picker, hits)
        refused |= lost
        hits += sorted(lost)


@dataclass(frozen=True)
class _Seen:
    """What one decision learnt while planning: offers out, cap hits, counters read."""

    refused: set[str]
    hits: list[str]
    counts: dict[CounterKey, int]


@dataclass(frozen=True)
class Picked:
    picker: Picker
    hits: list[str]


async def _fill(
    conn: Connection,
    picker: Picker,
    placement: str,
    ranked: list[Scored],
    gate: _Gate,
    seen: _Seen,
) -> None:
    for scored in ranked:
        if picker.full(placement):
            return
        offer = gate.offers[scored.offer_id]
        if scored.offer_id in seen.refused or not picker.admits(scored.offer_id, offer, placement):
            continue
        if not gate.eligible(offer) or not await _room(conn, scored.offer_id, offer, gate, seen):
            seen.refused.add(scored.offer_id)
            continue
        picker.take(Chosen(scored.offer_id, placement, scored.score, scored.reason), offer)


async def _room(
    conn: Connection, offer_id: str, offer: OfferSpec, gate: _Gate, seen: _Seen
) -> bool:
    """Whether the offer's counters have room as they are now (a cap hit if not)."""
    found = limits(offer_id, offer, gate.profile_id, gate.now)
    if not found:
        return True
    rows = await conn.fetch(q("offer_counts"), offer_id, gate.profile_id)
    seen.counts.update(
        {CounterKey(offer_id, r["scope"], r["window_start"], r["shard"]): r["count"] for r in rows}
    )
    if has_room(found, seen.counts):
        return True
    seen.hits.append(offer_id)
    return False


def _planned_limits(picker: Picker, gate: _Gate) -> list[Limit]:
    """The counters the plan takes now, in the one order every decision takes them."""
    planned = [
        limit
        for chosen in picker.chosen
        if taken_at_proposal(offer := gate.offers[chosen.offer_id])
        for limit in limits(chosen.offer_id, offer, gate.profile_id, gate.now)
    ]
    return sorted(planned, key=lambda limit: astuple(limit.key))


async def _take_all(
    conn: Connection, planned: list[Limit], counts: dict[CounterKey, int], first: int
) -> set[str]:
    """Takes every planned counter; returns the offers one of whose counters was full. Then
    every counter taken is given back, as the plan is made again (rows this transaction
    holds, so nobody saw them)."""
    taken: list[CounterKey] = []
    lost: set[str] = set()
    for limit in planned:
        key = await _take(conn, shards_with_room(limit, counts, first))
        if key is None:
            lost.add(limit.key.offer_id)
        else:
            taken.append(key)
    if lost:
        for key in taken:
            args = (key.offer_id, key.scope, key.window_start, key.shard)
            await conn.execute(q("give_back_offer_cap"), *args)
    return lost


async def _take(conn: Connection, rows: list[Limit]) -> CounterKey | None:
    """The first of these rows that still has room, taken; None when all were full."""
    for limit in rows:
        key = limit.key
        args = (key.offer_id, key.scope, key.window_start, key.shard, limit.limit)
        if await conn.fetchval(q("take_offer_cap"), *args) is not None:
            return key
    return None


@dataclass(frozen=True)
class OfferFigures:
    offer_id: str
    propositions: int
    impressions: int
    clicks: int
    conversions: int
    goals: int
    cap_hits: int
    estimate: float


@dataclass(frozen=True)
class Report:
    policy_id: str
    propositions: int
    fallbacks: int
    offers: list[OfferFigures]

    @property
    def fallback_rate(self) -> float:
        return self.fallbacks / self.propositions if self.propositions else 0.0


async def report(pool: asyncpg.Pool, policy_id: str) -> Report:
    """Per offer: propositions, offer events joined from tracking, cap hits, the estimate."""
    async with acquired(pool) as conn, conn.transaction(readonly=True):
        if await conn.fetchrow(q("read_decision_policy"), policy_id) is None:
            raise NotFound(f"decision {policy_id!r}")
        totals = await conn.fetchrow(q("decision_totals"), policy_id)
        rows = await conn.fetch(q("decision_report"), policy_id)
    assert totals is not None
    offers = [_figures(r) for r in rows]
    return Report(policy_id, int(totals["propositions"]), int(totals["fallbacks"]), offers)


def _figures(row: asyncpg.Record) -> OfferFigures:
    arm = Arm(int(row["propositions"]), int(row["goals"]))
    counts = {k: int(row[k]) for k in ("impressions", "clicks", "conversions", "cap_hits")}
    return OfferFigures(
        row["offer_id"], arm.propositions, goals=arm.goals, estimate=arm.estimate, **counts
    )


def as_vars(found: Proposition) -> dict[str, Any]:
    """A proposition as a journey keeps it in `vars.<node id>` (what templates read)."""
    offers = [
        {
            "offer_id": o.offer_id,
            "name": o.name,
            "placement": o.placement,
            "content_type": o.content_type,
            "content": o.content,
        }
        for o in found.offers
    ]
    return {
        "proposition_id": found.proposition_id,
        "decision": found.policy_id,
        "offers": offers,
        "fallback": found.fallback,
    }

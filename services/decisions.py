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
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg

from db.pool import acquired
from db.sql import q
from db.types import Connection, Executor
from decisions.caps import (
    SHARDS,
    TOTAL_SCOPE,
    CounterKey,
    Limit,
    counter,
    has_room,
    limits,
    shard_of,
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
    """The same request was recorded meanwhile: answer that one."""


async def propose(
    pool: asyncpg.Pool, request: DecisionRequest, now: datetime, cache: CatalogCache = CATALOG
) -> Proposition:
    """The policy's offers for the profile; NotFound for an unknown policy. Two round trips
    (the inputs, then take_caps_and_propose), three for a bandit policy (its arms)."""
    request_id = request.request_id or str(uuid.uuid4())
    async with acquired(pool) as conn:
        inputs = await conn.fetchrow(q("decision_inputs"), request.profile_id)
        assert inputs is not None  # decision_catalog has its one row from migration 019
        catalog = await cache.at(conn, int(inputs["version"]))
        policy = catalog.policies.get(request.policy_id)
        if policy is None:
            raise NotFound(f"decision {request.policy_id!r}")
        try:
            facts = _facts(inputs, request, now)
            gate = _gate(catalog, request, request_id, facts, _profile_counts(inputs, request))
            return await _decide_retrying(conn, catalog, policy, request, request_id, gate)
        except _Replayed:
            replayed = await _recorded(conn, catalog, request.policy_id, request_id)
            assert replayed is not None
            return replayed


def _profile_counts(inputs: asyncpg.Record, request: DecisionRequest) -> dict[CounterKey, int]:
    """The profile's own cap counters as they were read with it."""
    columns = (inputs["offer_ids"] or [], inputs["window_starts"] or [], inputs["counts"] or [])
    return {
        CounterKey(offer_id, request.profile_id, window, 0): count
        for offer_id, window, count in zip(*columns, strict=True)
    }


async def _decide_retrying(
    conn: Connection,
    catalog: Catalog,
    policy: PolicySpec,
    request: DecisionRequest,
    request_id: str,
    gate: _Gate,
) -> Proposition:
    """Decisions that take the same counters in different orders (an explored ranking) can
    deadlock; PostgreSQL aborts one, whose call rolled back whole: it decides again."""
    for _ in range(DEADLOCK_ATTEMPTS - 1):
        try:
            return await _decide(conn, catalog, policy, request, request_id, gate)
        except asyncpg.DeadlockDetectedError:
            continue
    try:
        return await _decide(conn, catalog, policy, request, request_id, gate)
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


@dataclass(frozen=True)
class _Gate:
    """What an offer must pass, besides the picker's exclusions, to be proposed."""

    offers: Mapping[str, OfferSpec]
    eligible: Eligibility
    profile_id: str
    now: datetime
    shard: int  # where this decision's totals and bandit rows count first (decisions.caps)
    counts: Mapping[CounterKey, int]  # the profile's counters as read with it
    exhausted: set[tuple[str, int]]  # totals known full (Catalog.exhausted)


def _gate(
    catalog: Catalog,
    request: DecisionRequest,
    request_id: str,
    facts: Facts,
    counts: Mapping[CounterKey, int],
) -> _Gate:
    candidates = catalog.candidates(request.policy_id)
    return _Gate(
        candidates,
        Eligibility(facts),
        request.profile_id,
        facts.now,
        shard_of(request_id),
        counts,
        catalog.exhausted,
    )


async def _decide(
    conn: Connection,
    catalog: Catalog,
    policy: PolicySpec,
    request: DecisionRequest,
    request_id: str,
    gate: _Gate,
) -> Proposition:
    """Plans from the counters as read, then takes the plan's caps and records it in one
    call; an offer whose cap had no room after all is refused and the plan made again."""
    arms = await _arms(conn, request.policy_id, policy)
    ranked = catalog.ranked(
        request.policy_id, gate.eligible.facts, arms, seed(request.profile_id, request_id)
    )
    pid = proposition_id(request.policy_id, request_id)
    refused: set[str] = set()
    hits: list[str] = []
    while True:
        picker = _plan(policy, ranked, gate, refused, hits)
        chosen = picker.chosen + picker.fallbacks()
        fallback = len(chosen) > len(picker.chosen)
        record = _Record(pid, request, request_id, chosen, fallback, hits)
        lost = await _take_and_record(conn, record, _planned_limits(picker, gate), gate)
        if not lost:
            return Proposition(
                pid,
                request.policy_id,
                request_id,
                request.profile_id,
                [_proposed(catalog, c) for c in chosen],
                fallback,
                hits,
                gate.now,
            )
        refused |= lost
        hits = hits + sorted(lost)


def _plan(
    policy: PolicySpec, ranked: list[Scored], gate: _Gate, refused: set[str], hits: list[str]
) -> Picker:
    """The offers for each placement in rank order: admitted by the picker, eligible, not
    refused, and with room in the counters known (each one without is a cap hit)."""
    picker = Picker(policy)
    for placement in policy.placements:
        for scored in ranked:
            if picker.full(placement):
                break
            offer = gate.offers[scored.offer_id]
            if scored.offer_id in refused or not picker.admits(scored.offer_id, offer, placement):
                continue
            if not gate.eligible(offer):
                refused.add(scored.offer_id)
            elif not _room(scored.offer_id, offer, gate):
                refused.add(scored.offer_id)
                hits.append(scored.offer_id)
            else:
                picker.take(Chosen(scored.offer_id, placement, scored.score, scored.reason), offer)
    return picker


def _room(offer_id: str, offer: OfferSpec, gate: _Gate) -> bool:
    """Whether the offer's counters had room when read (its total: unless known full)."""
    found = limits(offer_id, offer, gate.profile_id, gate.now)
    if any((offer_id, limit.key.window_start) in gate.exhausted for limit in _totals(found)):
        return False
    return has_room(found, gate.counts)


def _totals(found: list[Limit]) -> list[Limit]:
    return [limit for limit in found if limit.key.scope == TOTAL_SCOPE]


def _planned_limits(picker: Picker, gate: _Gate) -> list[tuple[Limit, bool]]:
    """Every counter of the plan, each with whether it is taken now (a cap counted on
    `proposed`), in the one order every decision takes them."""
    planned = []
    for chosen in picker.chosen:
        offer = gate.offers[chosen.offer_id]
        taken = taken_at_proposal(offer)
        found = limits(chosen.offer_id, offer, gate.profile_id, gate.now)
        planned += [(limit, taken) for limit in found]
    return sorted(planned, key=lambda entry: counter(entry[0].key))


@dataclass(frozen=True)
class _Record:
    """What a proposition records, whatever its caps turn out to allow."""

    proposition_id: str
    request: DecisionRequest
    request_id: str
    chosen: list[Chosen]
    fallback: bool
    hits: list[str]


async def _take_and_record(
    conn: Connection, record: _Record, planned: list[tuple[Limit, bool]], gate: _Gate
) -> set[str]:
    """Takes the plan's caps and records it (nothing lost), or takes nothing and returns the
    offers without room; a total found full is remembered. _Replayed if recorded before."""
    stored = [
        {"offer_id": c.offer_id, "placement": c.placement, "score": c.score, "reason": c.reason}
        for c in record.chosen
    ]
    counters = _counter_columns(planned)
    planned_limits = [limit for limit, _ in planned]
    try:
        row = await conn.fetchrow(
            q("take_caps_and_propose"),
            record.proposition_id,
            record.request.policy_id,
            record.request_id,
            record.request.profile_id,
            stored,
            record.fallback,
            record.hits,
            gate.now,
            [c.offer_id for c in record.chosen],
            gate.shard,
            SHARDS,
            *counters,
        )
    except asyncpg.UniqueViolationError as exc:  # a concurrent twin recorded it first
        raise _Replayed from exc
    assert row is not None
    if row["lost"] is None:
        raise _Replayed
    totals = {limit.key.offer_id: limit.key.window_start for limit in _totals(planned_limits)}
    gate.exhausted.update((offer_id, totals[offer_id]) for offer_id in row["exhausted"])
    return set(row["lost"])


def _counter_columns(planned: list[tuple[Limit, bool]]) -> tuple[list[Any], ...]:
    """The planned counters as take_caps_and_propose's c_* columns."""
    return (
        [limit.key.offer_id for limit, _ in planned],
        [limit.key.scope for limit, _ in planned],
        [limit.key.window_start for limit, _ in planned],
        [limit.limit for limit, _ in planned],
        [take for _, take in planned],
    )


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

"""take_caps_and_propose (migration 037) on its own: the shard walk of a total, a full
counter giving back what the call took, and a request recorded before."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest

from db.sql import q
from decisions.caps import SHARDS
from tests.integration.helpers import uid

pytestmark = pytest.mark.integration
NOW = datetime(2026, 12, 4, tzinfo=UTC)


async def call(
    pool: asyncpg.Pool,
    policy: str,
    request: str,
    counters: list[tuple[str, str, int, bool]],
    shard: int = 14,
) -> asyncpg.Record:
    """One call proposing the counters' offers; counters are (offer, scope, limit, take)."""
    offers = sorted({c[0] for c in counters})
    columns: tuple[list[Any], ...] = (
        [c[0] for c in counters],
        [c[1] for c in counters],
        [0 for _ in counters],
        [c[2] for c in counters],
        [c[3] for c in counters],
    )
    stored = [
        {"offer_id": o, "placement": "hero", "score": None, "reason": "priority"} for o in offers
    ]
    row = await pool.fetchrow(
        q("take_caps_and_propose"),
        uid("prop"),
        policy,
        request,
        "p1",
        stored,
        False,
        [],
        NOW,
        offers,
        shard,
        SHARDS,
        *columns,
    )
    assert row is not None
    return row


async def shards(pool: asyncpg.Pool, offer: str) -> dict[int, int]:
    rows = await pool.fetch(
        "SELECT shard, count FROM offer_counters WHERE offer_id = $1 AND scope = ''", offer
    )
    return {r["shard"]: r["count"] for r in rows}


async def test_a_total_is_taken_from_the_request_shard_on_in_the_shares_that_have_room(
    pool: asyncpg.Pool,
) -> None:
    # A limit of 3 over 16 shards: shards 0, 1 and 2 may count one each, the others none.
    policy, offer = uid("policy"), uid("offer")
    answers = [await call(pool, policy, f"r{i}", [(offer, "", 3, True)]) for i in range(4)]
    assert [(list(a["lost"]), list(a["exhausted"])) for a in answers] == [
        ([], []),
        ([], []),
        ([], []),
        ([offer], [offer]),
    ]
    assert await shards(pool, offer) == {0: 1, 1: 1, 2: 1}
    recorded = await pool.fetchval("SELECT count(*) FROM propositions WHERE policy_id = $1", policy)
    assert recorded == 3


async def test_a_full_counter_gives_back_what_the_call_took_and_records_nothing(
    pool: asyncpg.Pool,
) -> None:
    policy, roomy, full = uid("policy"), uid("offer"), uid("offer")
    assert list((await call(pool, policy, "r0", [(full, "p1", 1, True)]))["lost"]) == []
    answer = await call(pool, policy, "r1", [(roomy, "", 100, True), (full, "p1", 1, True)])
    assert (list(answer["lost"]), list(answer["exhausted"])) == ([full], [])
    assert await shards(pool, roomy) == {14: 0}  # taken, then given back in the same call
    stats = await pool.fetch(
        "SELECT offer_id, propositions FROM decision_offer_stats WHERE policy_id = $1", policy
    )
    assert [(r["offer_id"], r["propositions"]) for r in stats] == [(full, 1)]


async def test_a_cap_counted_on_events_is_checked_not_taken(pool: asyncpg.Pool) -> None:
    policy, clicked = uid("policy"), uid("offer")
    answer = await call(pool, policy, "r0", [(clicked, "p1", 1, False)])
    assert list(answer["lost"]) == []
    assert (
        await pool.fetchval("SELECT count(*) FROM offer_counters WHERE offer_id = $1", clicked) == 0
    )


async def test_a_request_recorded_before_takes_nothing(pool: asyncpg.Pool) -> None:
    policy, offer = uid("policy"), uid("offer")
    await call(pool, policy, "same", [(offer, "", 100, True)])
    again = await call(pool, policy, "same", [(offer, "", 100, True)])
    assert again["lost"] is None
    assert await shards(pool, offer) == {14: 1}

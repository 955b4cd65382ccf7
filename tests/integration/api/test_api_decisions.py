"""Decisioning through the real app: catalog CRUD and its refusals, propose, race-free caps,
offer events joined from the ingest, and the report."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
import pytest

from decisions.catalog import Catalog
from services import decisions
from services.decision_catalog import CatalogCache
from tests.integration.helpers import uid

pytestmark = pytest.mark.integration

Client = httpx.AsyncClient
Headers = dict[str, str]


async def put(client: Client, path: str, body: dict[str, Any], headers: Headers) -> httpx.Response:
    return await client.put(path, json=body, headers=headers)


async def placement(client: Client, headers: Headers, content_type: str = "text") -> str:
    name = uid("slot")
    body = {"name": "Hero", "channel": "web", "content_type": content_type}
    resp = await put(client, f"/v1/placements/{name}", body, headers)
    assert resp.status_code == 201, resp.text
    return name


async def offer(client: Client, headers: Headers, slot: str, **fields: Any) -> str:
    name = uid("offer")
    body = {"name": name, "representations": {slot: {"content": f"<{name}>"}}, **fields}
    resp = await put(client, f"/v1/offers/{name}", body, headers)
    assert resp.status_code == 201, resp.text
    return name


async def policy(client: Client, headers: Headers, **fields: Any) -> str:
    name = uid("decision")
    resp = await put(client, f"/v1/decisions/{name}", {"name": name, **fields}, headers)
    assert resp.status_code == 201, resp.text
    return name


async def propose(
    client: Client, headers: Headers, decision: str, profile: str, **fields: Any
) -> dict[str, Any]:
    resp = await client.post(
        f"/v1/decisions/{decision}/propose", json={"profile_id": profile, **fields}, headers=headers
    )
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


def fields_of(resp: httpx.Response) -> set[str]:
    return {f["field"] for f in resp.json()["fields"]}


async def test_placement_crud_and_refusals(
    api_client: Client, admin_headers: Headers, make_key: Callable[..., Awaitable[Headers]]
) -> None:
    slot = await placement(api_client, admin_headers)
    body = {"name": "Hero 2", "channel": "email", "content_type": "html"}
    resp = await put(api_client, f"/v1/placements/{slot}", body, admin_headers)
    assert resp.status_code == 200 and resp.json()["content_type"] == "html"
    got = (await api_client.get(f"/v1/placements/{slot}", headers=admin_headers)).json()
    assert (got["name"], got["channel"], got["placement_id"]) == ("Hero 2", "email", slot)
    listed = (await api_client.get("/v1/placements", headers=admin_headers)).json()["items"]
    assert slot in [p["placement_id"] for p in listed]
    bad = {"name": "", "channel": "web", "content_type": "video"}
    resp = await put(api_client, f"/v1/placements/{slot}", bad, admin_headers)
    assert resp.status_code == 422 and fields_of(resp) == {"name", "content_type"}
    reader = await make_key("read")
    resp = await put(api_client, f"/v1/placements/{slot}", body, reader)
    assert resp.status_code == 403
    used = await offer(api_client, admin_headers, slot)
    resp = await api_client.delete(f"/v1/placements/{slot}", headers=admin_headers)
    assert resp.status_code == 409 and used in resp.json()["message"]
    assert (await api_client.delete(f"/v1/offers/{used}", headers=admin_headers)).status_code == 204
    assert (
        await api_client.delete(f"/v1/placements/{slot}", headers=admin_headers)
    ).status_code == 204
    resp = await api_client.get(f"/v1/placements/{slot}", headers=admin_headers)
    assert resp.status_code == 404


async def test_offer_refusals_name_every_field(api_client: Client, admin_headers: Headers) -> None:
    slot = await placement(api_client, admin_headers, "image_url")
    broken = {
        "name": "x",
        "eligibility": {"when": "profile.("},
        "caps": {"per_profile": {"limit": 0}, "counted_on": "seen"},
        "representations": {slot: {"content": "https://cdn.example/a.png"}},
    }
    resp = await put(api_client, f"/v1/offers/{uid('o')}", broken, admin_headers)
    assert resp.status_code == 422
    assert fields_of(resp) == {"eligibility.when", "caps.per_profile.limit", "caps.counted_on"}
    unknown = {
        "name": "x",
        "eligibility": {"audience": uid("nobody")},
        "representations": {slot: {"content": "not a url"}, "nowhere": {"content": "x"}},
    }
    resp = await put(api_client, f"/v1/offers/{uid('o')}", unknown, admin_headers)
    assert resp.status_code == 422, resp.text
    assert fields_of(resp) == {
        "eligibility.audience",
        "representations.nowhere",
        f"representations.{slot}.content",
    }


async def test_policy_refusals_and_offer_in_use(api_client: Client, admin_headers: Headers) -> None:
    slot = await placement(api_client, admin_headers)
    plain = await offer(api_client, admin_headers, slot)
    body = {
        "name": "d",
        "placements": [slot, "nowhere"],
        "candidates": {"offers": [plain, "ghost"]},
        "fallback": plain,
    }
    resp = await put(api_client, f"/v1/decisions/{uid('d')}", body, admin_headers)
    assert resp.status_code == 422
    assert fields_of(resp) == {"placements[1]", "candidates.offers[1]", "fallback"}
    resp = await put(
        api_client,
        f"/v1/decisions/{uid('d')}",
        {"name": "d", "placements": [slot], "candidates": {}, "ranking": {"method": "formula"}},
        admin_headers,
    )
    assert resp.status_code == 422 and fields_of(resp) == {"candidates", "ranking"}
    used = await policy(
        api_client, admin_headers, placements=[slot], candidates={"offers": [plain]}
    )
    resp = await api_client.delete(f"/v1/offers/{plain}", headers=admin_headers)
    assert resp.status_code == 409 and used in resp.json()["message"]
    got = (await api_client.get(f"/v1/decisions/{used}", headers=admin_headers)).json()
    assert got["candidates"] == {"tags": [], "offers": [plain]} and got["count"] == 1


async def test_propose_ranks_eligible_offers_with_exclusions_and_fallback(
    api_client: Client, admin_headers: Headers, make_key: Callable[..., Awaitable[Headers]]
) -> None:
    slot = await placement(api_client, admin_headers)
    tag = uid("tag")
    pro = {"when": "profile.attributes.plan == 'pro'"}
    best = await offer(
        api_client, admin_headers, slot, tags=[tag, "shoes"], priority=90, eligibility=pro
    )
    second = await offer(api_client, admin_headers, slot, tags=[tag, "shoes"], priority=80)
    third = await offer(api_client, admin_headers, slot, tags=[tag], priority=10)
    await offer(
        api_client, admin_headers, slot, tags=[tag], priority=99, end_at="2020-01-01T00:00:00Z"
    )
    house = await offer(api_client, admin_headers, slot, fallback=True)
    decision = await policy(
        api_client,
        admin_headers,
        placements=[slot],
        candidates={"tags": [tag]},
        count=2,
        exclusive_tags=["shoes"],
        fallback=house,
    )
    profile = uid("p")
    resp = await api_client.put(
        f"/v1/profiles/{profile}", json={"attributes": {"plan": "pro"}}, headers=admin_headers
    )
    assert resp.status_code in (200, 201), resp.text
    events_key = await make_key("events:write")
    answer = await propose(api_client, events_key, decision, profile, request_id="r1")
    assert [(o["offer_id"], o["content"], o["reason"]) for o in answer["offers"]] == [
        (best, f"<{best}>", "priority"),
        (third, f"<{third}>", "priority"),
    ]
    assert answer["fallback"] is False and answer["offers"][0]["content_type"] == "text"
    again = await propose(api_client, events_key, decision, profile, request_id="r1")
    assert again["proposition_id"] == answer["proposition_id"]
    assert again["offers"] == answer["offers"]
    stranger = await propose(api_client, events_key, decision, uid("p"))
    assert [o["offer_id"] for o in stranger["offers"]] == [second, third]
    report = (
        await api_client.get(f"/v1/decisions/{decision}/report", headers=admin_headers)
    ).json()
    assert (report["propositions"], report["fallbacks"]) == (2, 0)
    counted = {o["offer_id"]: o["propositions"] for o in report["offers"]}
    assert counted == {best: 1, second: 1, third: 2}
    resp = await api_client.post(
        "/v1/decisions/nope/propose", json={"profile_id": "p"}, headers=events_key
    )
    assert resp.status_code == 404


async def test_concurrent_proposals_take_a_cap_of_one_once(
    api_client: Client, admin_headers: Headers, pool: asyncpg.Pool
) -> None:
    slot = await placement(api_client, admin_headers)
    tag = uid("tag")
    once = await offer(
        api_client,
        admin_headers,
        slot,
        tags=[tag],
        priority=50,
        caps={"per_profile": {"limit": 1, "period": "P1D"}},
    )
    house = await offer(api_client, admin_headers, slot, fallback=True)
    decision = await policy(
        api_client, admin_headers, placements=[slot], candidates={"tags": [tag]}, fallback=house
    )
    profile = uid("p")
    answers = await asyncio.gather(
        *(propose(api_client, admin_headers, decision, profile) for _ in range(16))
    )
    given = [a for a in answers if a["offers"][0]["offer_id"] == once]
    assert len(given) == 1
    assert sum(a["fallback"] for a in answers) == 15
    assert sum(len(a["cap_hits"]) for a in answers) <= 15
    count = await pool.fetchval(
        "SELECT count FROM offer_counters WHERE offer_id = $1 AND scope = $2", once, profile
    )
    assert count == 1
    stored = await pool.fetchval(
        "SELECT count(*) FROM propositions WHERE policy_id = $1 AND offers @> $2::jsonb",
        decision,
        [{"offer_id": once}],
    )
    assert stored == 1


async def test_concurrent_proposals_respect_a_total_cap(
    api_client: Client, admin_headers: Headers
) -> None:
    slot = await placement(api_client, admin_headers)
    tag = uid("tag")
    scarce = await offer(api_client, admin_headers, slot, tags=[tag], caps={"total": {"limit": 3}})
    decision = await policy(
        api_client, admin_headers, placements=[slot], candidates={"tags": [tag]}
    )
    answers = await asyncio.gather(
        *(propose(api_client, admin_headers, decision, uid("p")) for _ in range(12))
    )
    assert sum(1 for a in answers if a["offers"]) == 3
    assert sum(1 for a in answers if a["cap_hits"] == [scarce]) == 9


async def test_offer_events_feed_caps_bandit_and_report(
    api_client: Client, admin_headers: Headers
) -> None:
    slot = await placement(api_client, admin_headers)
    tag = uid("tag")
    clicked_once = await offer(
        api_client,
        admin_headers,
        slot,
        tags=[tag],
        caps={"per_profile": {"limit": 1}, "counted_on": "clicked"},
    )
    decision = await policy(
        api_client,
        admin_headers,
        placements=[slot],
        candidates={"tags": [tag]},
        ranking={"method": "auto"},
    )
    profile = uid("p")
    first = await propose(api_client, admin_headers, decision, profile)
    assert [o["offer_id"] for o in first["offers"]] == [clicked_once]
    assert first["offers"][0]["reason"] == "auto"
    # Not clicked yet: offered again.
    second = await propose(api_client, admin_headers, decision, profile)
    assert [o["offer_id"] for o in second["offers"]] == [clicked_once]
    ref = {"proposition_id": first["proposition_id"], "offer_id": clicked_once}
    events = [
        {"name": "offer.displayed", "profile_id": profile, "properties": ref},
        {"name": "offer.clicked", "profile_id": profile, "properties": ref},
        {"name": "offer.clicked", "profile_id": profile, "properties": ref},  # counted once
        {
            "name": "offer.clicked",
            "profile_id": profile,
            "properties": {**ref, "proposition_id": "prop_unknown"},
        },
    ]
    resp = await api_client.post("/v1/events/batch", json={"events": events}, headers=admin_headers)
    assert resp.status_code == 202, resp.text
    third = await propose(api_client, admin_headers, decision, profile)
    assert third["offers"] == [] and third["cap_hits"] == [clicked_once]
    report = (
        await api_client.get(f"/v1/decisions/{decision}/report", headers=admin_headers)
    ).json()
    assert report["propositions"] == 3 and report["fallback_rate"] == 0.0
    [row] = report["offers"]
    assert row == {
        "offer_id": clicked_once,
        "propositions": 2,
        "impressions": 1,
        "clicks": 1,
        "conversions": 0,
        "goals": 1,
        "cap_hits": 1,
        "estimate": 0.5,
    }


async def test_a_full_total_refuses_without_counting_for_the_profile(
    api_client: Client, admin_headers: Headers, pool: asyncpg.Pool
) -> None:
    slot = await placement(api_client, admin_headers)
    tag = uid("tag")
    caps = {"per_profile": {"limit": 5}, "total": {"limit": 1}}
    scarce = await offer(api_client, admin_headers, slot, tags=[tag], caps=caps)
    decision = await policy(
        api_client, admin_headers, placements=[slot], candidates={"tags": [tag]}
    )
    first, second = uid("p"), uid("p")
    assert [
        o["offer_id"] for o in (await propose(api_client, admin_headers, decision, first))["offers"]
    ] == [scarce]
    refused = await propose(api_client, admin_headers, decision, second)
    assert refused["offers"] == [] and refused["cap_hits"] == [scarce]
    rows = await pool.fetch(
        "SELECT scope, count FROM offer_counters WHERE offer_id = $1 ORDER BY scope", scarce
    )
    assert [(r["scope"], r["count"]) for r in rows] == [("", 1), (first, 1)]


async def test_concurrent_auto_rankings_taking_caps_in_different_orders_all_answer(
    api_client: Client, admin_headers: Headers, pool: asyncpg.Pool
) -> None:
    # Each request takes the same three total counters in its own (explored) order: without a
    # retry, two such transactions deadlock and one would answer 500.
    slot = await placement(api_client, admin_headers)
    tag = uid("tag")
    caps = {"total": {"limit": 1000}}
    offers = [await offer(api_client, admin_headers, slot, tags=[tag], caps=caps) for _ in range(3)]
    decision = await policy(
        api_client,
        admin_headers,
        placements=[slot],
        candidates={"tags": [tag]},
        count=3,
        ranking={"method": "auto"},
    )
    answers = await asyncio.gather(
        *(propose(api_client, admin_headers, decision, uid("p")) for _ in range(40))
    )
    assert all(sorted(o["offer_id"] for o in a["offers"]) == sorted(offers) for a in answers)
    counts = await pool.fetch(
        "SELECT sum(count) AS n, count(*) AS shards FROM offer_counters"
        " WHERE offer_id = ANY($1::text[]) AND scope = '' GROUP BY offer_id",
        offers,
    )
    assert [r["n"] for r in counts] == [40, 40, 40], "the shards add up to every decision"
    assert all(r["shards"] > 1 for r in counts), "concurrent decisions counted in shards"


async def test_concurrent_twins_of_a_request_record_it_once(
    api_client: Client, admin_headers: Headers, pool: asyncpg.Pool
) -> None:
    # Sixteen retries of one request at once: one records it and takes the cap, the others
    # answer that proposition (a twin that loses the race on the unique key included).
    slot = await placement(api_client, admin_headers)
    tag = uid("tag")
    capped = await offer(
        api_client, admin_headers, slot, tags=[tag], caps={"per_profile": {"limit": 5}}
    )
    decision = await policy(
        api_client, admin_headers, placements=[slot], candidates={"tags": [tag]}
    )
    profile = uid("p")
    answers = await asyncio.gather(
        *(
            propose(api_client, admin_headers, decision, profile, request_id="twin")
            for _ in range(16)
        )
    )
    assert {a["proposition_id"] for a in answers} == {answers[0]["proposition_id"]}
    assert all([o["offer_id"] for o in a["offers"]] == [capped] for a in answers)
    count = await pool.fetchval(
        "SELECT count FROM offer_counters WHERE offer_id = $1 AND scope = $2", capped, profile
    )
    assert count == 1
    stats = await pool.fetchval(
        "SELECT sum(propositions) FROM decision_offer_stats WHERE policy_id = $1", decision
    )
    assert stats == 1


@pytest.mark.parametrize(
    "caps",
    [
        {"total": {"limit": 1}},
        # The profile's daily counter sorts after the total's: the total's window is kept.
        {"total": {"limit": 1}, "per_profile": {"limit": 5, "period": "P1D"}},
    ],
    ids=["total-only", "with-a-daily-profile-cap"],
)
async def test_a_total_found_full_is_remembered_for_its_window(
    api_client: Client, admin_headers: Headers, pool: asyncpg.Pool, caps: dict[str, Any]
) -> None:
    slot = await placement(api_client, admin_headers)
    tag = uid("tag")
    scarce = await offer(api_client, admin_headers, slot, tags=[tag], caps=caps)
    decision = await policy(
        api_client, admin_headers, placements=[slot], candidates={"tags": [tag]}
    )
    cache, now = CatalogCache(), datetime.now(UTC)

    async def decide() -> decisions.Proposition:
        request = decisions.DecisionRequest(decision, uid("p"))
        return await decisions.propose(pool, request, now, cache)

    first = await decide()
    assert [o.offer_id for o in first.offers] == [scarce]
    refused = await decide()
    assert refused.offers == [] and refused.cap_hits == [scarce]
    version = await pool.fetchval("SELECT version FROM decision_catalog")
    assert (scarce, 0) in (await _catalog(cache, pool, version)).exhausted
    # Known full, the next decision refuses it before its call, with the same answer.
    again = await decide()
    assert again.offers == [] and again.cap_hits == [scarce]
    total = await pool.fetchval(
        "SELECT sum(count) FROM offer_counters WHERE offer_id = $1 AND scope = ''", scarce
    )
    assert total == 1


async def _catalog(cache: CatalogCache, pool: asyncpg.Pool, version: int) -> Catalog:
    async with pool.acquire() as conn:
        return await cache.at(conn, version)

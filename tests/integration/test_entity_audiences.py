"""Audiences over entity records on the real stack: saving checks the rule against the
entity types, the triggers on the entity tables queue rechecks of the profiles a write
reaches (its own, through a relation, or through another type), and an entity field or
type an audience reads cannot be removed.

Each test makes its own types, profiles and audiences (unique names), so the session's
other data never matches.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest

from tests.integration.helpers import eventually, uid
from workers.worker import Runtime

pytestmark = pytest.mark.integration

Api = httpx.AsyncClient
Headers = dict[str, str]


def type_name(prefix: str) -> str:
    return uid(prefix).replace("-", "_").lower()


async def put_type(api: Api, h: Headers, name: str, body: dict[str, Any]) -> None:
    resp = await api.put(f"/v1/entity-types/{name}", json=body, headers=h)
    assert resp.status_code == 201, resp.text


async def hotel_and_booking(api: Api, h: Headers) -> tuple[str, str]:
    hotel, booking = type_name("hotel"), type_name("booking")
    await put_type(
        api,
        h,
        hotel,
        {
            "fields": {"code": {"type": "string"}, "city": {"type": "string"}},
            "primary_key": "code",
        },
    )
    await put_type(
        api,
        h,
        booking,
        {
            "fields": {
                "booking_id": {"type": "string"},
                "status": {"type": "enum", "values": ["held", "confirmed"]},
                "departure": {"type": "timestamp"},
                "total": {"type": "number"},
            },
            "primary_key": "booking_id",
            "relations": {"guest": {"to": "profile"}, "hotel": {"to": hotel}},
        },
    )
    return hotel, booking


async def profiles(api: Api, h: Headers, *ids: str) -> None:
    for p in ids:
        assert (await api.put(f"/v1/profiles/{p}", json={}, headers=h)).status_code == 201


async def put(api: Api, h: Headers, path: str, body: dict[str, Any]) -> None:
    resp = await api.put(path, json=body, headers=h)
    assert resp.status_code in (200, 201), resp.text


async def create(api: Api, h: Headers, aid: str, definition: Any) -> dict[str, Any]:
    body = {"audience_id": aid, "name": aid, "definition": definition}
    resp = await api.post("/v1/audiences", json=body, headers=h)
    assert resp.status_code == 201, resp.text
    return dict(resp.json())


async def members(pool: asyncpg.Pool, aid: str) -> list[str]:
    rows = await pool.fetch(
        "SELECT profile_id FROM audience_members WHERE audience_id = $1 ORDER BY 1", aid
    )
    return [r["profile_id"] for r in rows]


async def becomes(pool: asyncpg.Pool, aid: str, expected: list[str]) -> None:
    async def check() -> bool:
        return await members(pool, aid) == expected

    await eventually(check)


def soon(days: float) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


async def test_a_booking_written_updated_and_deleted_moves_its_guest(
    api_client: Api, admin_headers: Headers, pool: asyncpg.Pool, runtime: Runtime
) -> None:
    api, h = api_client, admin_headers
    _, booking = await hotel_and_booking(api, h)
    a, b = uid("pa"), uid("pb")
    await profiles(api, h, a, b)
    aid = uid("aud-trip")
    rule = {
        "entity": booking,
        "where": [
            {"field": "status", "op": "eq", "value": "confirmed"},
            {"field": "departure", "op": "within_next", "value": "P7D"},
        ],
    }
    saved = await create(api, h, aid, rule)
    assert saved["size"] == 0 and saved["time_relative"] is True

    trip = {"status": "confirmed", "departure": soon(2), "guest": a}
    await put(api, h, f"/v1/entities/{booking}/b1", trip)
    await becomes(pool, aid, [a])
    await put(api, h, f"/v1/entities/{booking}/b1", {**trip, "status": "held"})
    await becomes(pool, aid, [])
    await put(api, h, f"/v1/entities/{booking}/b2", {**trip, "guest": b})
    await becomes(pool, aid, [b])
    assert (await api.delete(f"/v1/entities/{booking}/b2", headers=h)).status_code == 204
    await becomes(pool, aid, [])
    await put(api, h, f"/v1/entities/{booking}/b3", {**trip, "departure": soon(9)})  # too late
    await put(api, h, f"/v1/entities/{booking}/b4", {**trip, "guest": b})
    await becomes(pool, aid, [b])
    rows = await pool.fetch(
        "SELECT profile_id, change FROM audience_changes WHERE audience_id = $1 ORDER BY id", aid
    )
    assert [(r["profile_id"], r["change"]) for r in rows] == [
        (a, "entered"),
        (a, "exited"),
        (b, "entered"),
        (b, "exited"),
        (b, "entered"),
    ]
    got = (await api.get(f"/v1/audiences/{aid}", headers=h)).json()
    assert got["size"] == 1 and got["sample"] == [b]
    # A booking moved to another guest: both the old and the new guest are rechecked.
    await put(api, h, f"/v1/entities/{booking}/b4", {**trip, "guest": a})
    await becomes(pool, aid, [a])


async def test_sum_over_a_window_and_the_estimate(
    api_client: Api, admin_headers: Headers, pool: asyncpg.Pool, runtime: Runtime
) -> None:
    api, h = api_client, admin_headers
    _, booking = await hotel_and_booking(api, h)
    a, b = uid("pa"), uid("pb")
    await profiles(api, h, a, b)
    for key, guest, total in (("o1", a, 300), ("o2", a, 250), ("o3", b, 400)):
        await put(api, h, f"/v1/entities/{booking}/{key}", {"guest": guest, "total": total})
    rule = {
        "entity": booking,
        "within": "P90D",
        "aggregate": {"fn": "sum", "field": "total", "op": "gt", "value": 500},
    }
    est = await api.post("/v1/audiences/estimate", json={"definition": rule}, headers=h)
    assert est.status_code == 200 and est.json()["count"] == 1, est.text
    aid = uid("aud-sum")
    saved = await create(api, h, aid, rule)
    assert saved["size"] == 1 and saved["sample"] == [a]
    await put(api, h, f"/v1/entities/{booking}/o4", {"guest": b, "total": 101})
    await becomes(pool, aid, sorted([a, b]))


async def test_a_change_to_a_related_hotel_reaches_its_guests(
    api_client: Api, admin_headers: Headers, pool: asyncpg.Pool, runtime: Runtime
) -> None:
    api, h = api_client, admin_headers
    hotel, booking = await hotel_and_booking(api, h)
    a, b = uid("pa"), uid("pb")
    await profiles(api, h, a, b)
    await put(api, h, f"/v1/entities/{hotel}/h1", {"city": "Paris"})
    await put(api, h, f"/v1/entities/{booking}/b1", {"guest": a, "hotel": "h1"})
    await put(api, h, f"/v1/entities/{booking}/b2", {"guest": b, "hotel": "h2"})
    aid = uid("aud-lyon")
    rule = {"entity": booking, "where": [{"field": "hotel.city", "op": "eq", "value": "Lyon"}]}
    assert (await create(api, h, aid, rule))["size"] == 0
    await put(api, h, f"/v1/entities/{hotel}/h1", {"city": "Lyon"})
    await becomes(pool, aid, [a])
    await put(api, h, f"/v1/entities/{hotel}/h2", {"city": "Lyon"})  # b's hotel, made later
    await becomes(pool, aid, sorted([a, b]))
    assert (await api.delete(f"/v1/entities/{hotel}/h1", headers=h)).status_code == 204
    await becomes(pool, aid, [b])


async def test_profiles_reached_from_products_through_views(
    api_client: Api, admin_headers: Headers, pool: asyncpg.Pool, runtime: Runtime
) -> None:
    api, h = api_client, admin_headers
    product, view = type_name("product"), type_name("view")
    await put_type(
        api,
        h,
        product,
        {
            "fields": {"sku": {"type": "string"}, "stock": {"type": "number"}},
            "primary_key": "sku",
        },
    )
    await put_type(
        api,
        h,
        view,
        {
            "fields": {"view_id": {"type": "string"}},
            "primary_key": "view_id",
            "relations": {"who": {"to": "profile"}, "product": {"to": product}},
        },
    )
    a, b = uid("pa"), uid("pb")
    await profiles(api, h, a, b)
    await put(api, h, f"/v1/entities/{product}/s1", {"stock": 50})
    await put(api, h, f"/v1/entities/{product}/s2", {"stock": 3})
    await put(api, h, f"/v1/entities/{view}/v1", {"who": a, "product": "s1"})
    aid = uid("aud-low")
    rule = {
        "entity": product,
        "via": {"entity": view, "relation": "product"},
        "where": [{"field": "stock", "op": "lt", "value": 10}],
    }
    assert (await create(api, h, aid, rule))["size"] == 0
    await put(api, h, f"/v1/entities/{view}/v2", {"who": b, "product": "s2"})  # a new view
    await becomes(pool, aid, [b])
    await put(api, h, f"/v1/entities/{product}/s1", {"stock": 4})  # a product's change
    await becomes(pool, aid, sorted([a, b]))
    await put(api, h, f"/v1/entities/{product}/s2", {"stock": 40})
    await becomes(pool, aid, [a])


async def test_rules_are_checked_against_the_types_with_paths(
    api_client: Api, admin_headers: Headers
) -> None:
    api, h = api_client, admin_headers
    _, booking = await hotel_and_booking(api, h)
    rule = {
        "and": [
            {"entity": "no_such_type"},
            {
                "entity": booking,
                "where": [
                    {"field": "nope", "op": "eq", "value": 1},
                    {"field": "status", "op": "gt", "value": 3},
                    {"field": "departure", "op": "contains", "value": "x"},
                    {"field": "hotel.stars", "op": "gt", "value": 3},
                ],
                "aggregate": {"fn": "sum", "field": "status", "op": "gt", "value": 1},
            },
        ]
    }
    resp = await api.post("/v1/audiences/estimate", json={"definition": rule}, headers=h)
    assert resp.status_code == 422, resp.text
    assert [f["field"] for f in resp.json()["fields"]] == [
        "definition.and[0].entity",
        "definition.and[1].where[0].field",
        "definition.and[1].where[1].value",
        "definition.and[1].where[2].op",
        "definition.and[1].where[3].field",
        "definition.and[1].aggregate.field",
    ]
    hostile = {
        "entity": booking,
        "where": [{"field": 'x"; DROP TABLE profiles; --', "op": "exists"}],
    }
    resp = await api.post("/v1/audiences/estimate", json={"definition": hostile}, headers=h)
    assert (
        resp.status_code == 422 and resp.json()["fields"][0]["field"] == "definition.where[0].field"
    )


async def test_a_field_or_type_an_audience_reads_cannot_be_removed(
    api_client: Api, admin_headers: Headers, pool: asyncpg.Pool
) -> None:
    api, h = api_client, admin_headers
    _, booking = await hotel_and_booking(api, h)
    aid = uid("aud-held")
    rule = {"entity": booking, "where": [{"field": "status", "op": "eq", "value": "held"}]}
    await create(api, h, aid, rule)
    got = (await api.get(f"/v1/entity-types/{booking}", headers=h)).json()
    body = {k: got[k] for k in ("fields", "primary_key", "relations")}
    del body["fields"]["status"]
    resp = await api.put(f"/v1/entity-types/{booking}", json=body, headers=h)
    assert resp.status_code == 409, resp.text
    assert resp.json()["message"] == (
        f"entity type {booking!r} cannot change this way: audience {aid!r} reads {booking}.status"
    )
    resp = await api.delete(f"/v1/entity-types/{booking}", headers=h)
    assert resp.status_code == 409 and f"audience {aid!r} reads {booking}" in resp.json()["message"]

    del body["fields"]["total"]  # a field no audience reads goes with its column
    body["fields"]["status"] = {"type": "enum", "values": ["held", "confirmed"]}
    resp = await api.put(f"/v1/entity-types/{booking}", json=body, headers=h)
    assert resp.status_code == 200, resp.text
    cols = await pool.fetch(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_schema = 'entities' AND table_name = $1",
        f"e_{booking}",
    )
    assert "total" not in {r["column_name"] for r in cols}
    assert "status" in {r["column_name"] for r in cols}

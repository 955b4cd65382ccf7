"""Entity types as real tables, and their records: upsert, batch, filters, paging,
timeline and erasure, on the real stack."""

from __future__ import annotations

import asyncio
import json
import re
import shlex
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from tests.integration.conftest import KeyMaker

pytestmark = pytest.mark.integration

Api = httpx.AsyncClient
Headers = dict[str, str]


def name(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


def hotel_type() -> dict[str, Any]:
    return {
        "fields": {"code": {"type": "string"}, "city": {"type": "string"}},
        "primary_key": "code",
    }


def booking_type(hotel: str) -> dict[str, Any]:
    return {
        "fields": {
            "booking_id": {"type": "string"},
            "nights": {"type": "number", "required": True},
            "status": {"type": "enum", "values": ["held", "confirmed"]},
            "departure": {"type": "date"},
        },
        "primary_key": "booking_id",
        "relations": {"profile_id": {"to": "profile"}, "hotel_id": {"to": hotel}},
    }


async def make_types(api: Api, h: Headers) -> tuple[str, str]:
    hotel, booking = name("hotel"), name("booking")
    assert (
        await api.put(f"/v1/entity-types/{hotel}", json=hotel_type(), headers=h)
    ).status_code == 201
    resp = await api.put(f"/v1/entity-types/{booking}", json=booking_type(hotel), headers=h)
    assert resp.status_code == 201, resp.text
    return hotel, booking


async def columns(pool: asyncpg.Pool, table: str) -> list[tuple[str, str]]:
    rows = await pool.fetch(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = 'entities' AND table_name = $1 ORDER BY ordinal_position",
        table,
    )
    return [(r["column_name"], r["data_type"]) for r in rows]


async def indexes(pool: asyncpg.Pool, table: str) -> list[str]:
    rows = await pool.fetch(
        "SELECT indexdef FROM pg_indexes WHERE schemaname = 'entities' AND tablename = $1 "
        "ORDER BY indexname",
        table,
    )
    return [r["indexdef"] for r in rows]


async def test_a_type_becomes_a_table_with_indexes(
    api_client: Api, admin_headers: Headers, pool: asyncpg.Pool
) -> None:
    hotel, booking = await make_types(api_client, admin_headers)
    table = f"e_{booking}"
    assert await columns(pool, table) == [
        ("booking_id", "text"),
        ("nights", "double precision"),
        ("status", "text"),
        ("departure", "date"),
        ("profile_id", "text"),
        ("hotel_id", "text"),
        ("_created_at", "timestamp with time zone"),
        ("_updated_at", "timestamp with time zone"),
    ]
    assert await indexes(pool, table) == [
        f'CREATE INDEX "i:{booking}:hotel_id" ON entities.{table} '
        "USING btree (hotel_id, _updated_at)",
        f'CREATE INDEX "i:{booking}:profile_id" ON entities.{table} '
        "USING btree (profile_id, _updated_at)",
        f'CREATE UNIQUE INDEX "k:{booking}" ON entities.{table} USING btree (booking_id)',
    ]
    got = (await api_client.get(f"/v1/entity-types/{booking}", headers=admin_headers)).json()
    assert (got["version"], got["table"], got["primary_key"]) == (
        1,
        f"entities.{table}",
        "booking_id",
    )
    listed = (await api_client.get("/v1/entity-types", headers=admin_headers)).json()["items"]
    assert {hotel, booking} <= {t["name"] for t in listed}


async def test_invalid_definitions_name_every_problem(
    api_client: Api, admin_headers: Headers
) -> None:
    body = booking_type("nowhere")
    body["fields"]["nights"] = {"type": "enum"}
    body["fields"]["ok"] = {"type": "colour"}
    resp = await api_client.put(f"/v1/entity-types/{name('b')}", json=body, headers=admin_headers)
    assert resp.status_code == 422, resp.text
    assert [(f["field"], f["message"]) for f in resp.json()["fields"]] == [
        ("fields.nights.values", "an enum lists values"),
        ("fields.ok.type", "must be one of string, number, boolean, timestamp, date, enum, json"),
        ("relations.hotel_id.to", "no entity type 'nowhere'"),
    ]
    body["fields"]["ok"] = {"type": "string", "colour": "red"}
    resp = await api_client.put(f"/v1/entity-types/{name('b')}", json=body, headers=admin_headers)
    assert resp.status_code == 422, resp.text
    assert [f["field"] for f in resp.json()["fields"]] == ["fields.ok.colour"]


async def test_a_hostile_name_reaches_no_sql(
    api_client: Api, admin_headers: Headers, pool: asyncpg.Pool
) -> None:
    hostile = 'x"; DROP TABLE profiles; --'
    resp = await api_client.put(
        f"/v1/entity-types/{hostile}", json=hotel_type(), headers=admin_headers
    )
    assert resp.status_code == 422, resp.text
    assert resp.json()["fields"][0]["field"] == "name"
    body = hotel_type()
    body["fields"]['a"b'] = {"type": "string"}
    resp = await api_client.put(f"/v1/entity-types/{name('h')}", json=body, headers=admin_headers)
    assert resp.status_code == 422 and resp.json()["fields"][0]["field"] == 'fields.a"b'
    assert await pool.fetchval("SELECT to_regclass('public.profiles') IS NOT NULL")
    resp = await api_client.get(f"/v1/entities/{hostile}/1", headers=admin_headers)
    assert resp.status_code == 404


async def test_adding_a_field_to_a_populated_table_and_refused_changes(
    api_client: Api, admin_headers: Headers, pool: asyncpg.Pool
) -> None:
    api, h = api_client, admin_headers
    hotel, booking = await make_types(api, h)
    resp = await api.put(
        f"/v1/entities/{booking}/b1", json={"nights": 2, "status": "held"}, headers=h
    )
    assert resp.status_code == 201, resp.text
    body = booking_type(hotel)
    body["fields"]["room"] = {"type": "string"}
    resp = await api.put(f"/v1/entity-types/{booking}", json=body, headers=h)
    assert resp.status_code == 200, resp.text
    assert resp.json()["version"] == 2
    got = (await api.get(f"/v1/entities/{booking}/b1", headers=h)).json()
    assert got["values"]["room"] is None and got["values"]["nights"] == 2
    resp = await api.put(f"/v1/entities/{booking}/b1", json={"nights": 2, "room": "12"}, headers=h)
    assert resp.status_code == 200 and resp.json()["values"]["room"] == "12"

    del body["fields"]["room"]
    body["fields"]["nights"] = {"type": "string"}
    resp = await api.put(f"/v1/entity-types/{booking}", json=body, headers=h)
    assert resp.status_code == 409, resp.text
    message = resp.json()["message"]
    assert "room" not in message  # removing an unread field is allowed, but not with this
    assert "fields.nights.type: changing a type is refused" in message
    assert "(for now)" in message
    assert ("room", "text") in await columns(pool, f"e_{booking}")

    resp = await api.delete(f"/v1/entity-types/{hotel}", headers=h)
    assert resp.status_code == 409 and f"{booking}.hotel_id" in resp.json()["message"]
    assert (await api.delete(f"/v1/entity-types/{booking}", headers=h)).status_code == 204
    assert await pool.fetchval("SELECT to_regclass($1)", f"entities.e_{booking}") is None
    assert (await api.delete(f"/v1/entity-types/{hotel}", headers=h)).status_code == 204


async def test_batch_is_atomic_and_names_each_bad_value(
    api_client: Api, admin_headers: Headers, pool: asyncpg.Pool
) -> None:
    api, h = api_client, admin_headers
    _, booking = await make_types(api, h)
    good = [{"booking_id": f"b{i}", "nights": i, "profile_id": "p"} for i in range(5)]
    bad = [*good[:3], {"booking_id": "b3", "nights": "three", "status": "gone"}, good[1]]
    resp = await api.post(f"/v1/entities/{booking}/batch", json={"records": bad}, headers=h)
    assert resp.status_code == 422, resp.text
    assert [(f["field"], f["message"]) for f in resp.json()["fields"]] == [
        ("records[3].nights", "must be a number"),
        ("records[3].status", "must be one of held, confirmed"),
        ("records[4]", "repeats a key earlier in the batch"),
    ]
    assert await pool.fetchval(f'SELECT count(*) FROM entities."e_{booking}"') == 0
    resp = await api.post(f"/v1/entities/{booking}/batch", json={"records": good}, headers=h)
    assert resp.status_code == 200, resp.text
    assert resp.json()["count"] == 5
    too_many = [{"booking_id": f"x{i}", "nights": 1} for i in range(1001)]
    resp = await api.post(f"/v1/entities/{booking}/batch", json={"records": too_many}, headers=h)
    assert resp.status_code == 422 and resp.json()["fields"][0]["field"] == "records"


async def test_put_get_delete_and_bad_values(api_client: Api, admin_headers: Headers) -> None:
    api, h = api_client, admin_headers
    _, booking = await make_types(api, h)
    record = {"nights": 3, "status": "confirmed", "departure": "2026-12-24", "hotel_id": "LYS1"}
    resp = await api.put(f"/v1/entities/{booking}/b-1", json=record, headers=h)
    assert resp.status_code == 201, resp.text
    assert resp.json()["values"] == {
        "booking_id": "b-1",
        "nights": 3,
        "status": "confirmed",
        "departure": "2026-12-24",
        "profile_id": None,
        "hotel_id": "LYS1",
    }
    resp = await api.put(f"/v1/entities/{booking}/b-1", json={"nights": None, "x": 1}, headers=h)
    assert resp.status_code == 422
    assert [f["field"] for f in resp.json()["fields"]] == ["x", "nights"]
    resp = await api.put(
        f"/v1/entities/{booking}/b-1", json={"booking_id": "b-2", "nights": 1}, headers=h
    )
    assert resp.status_code == 422 and resp.json()["fields"][0]["field"] == "booking_id"
    assert (await api.delete(f"/v1/entities/{booking}/b-1", headers=h)).status_code == 204
    assert (await api.get(f"/v1/entities/{booking}/b-1", headers=h)).status_code == 404
    assert (await api.delete(f"/v1/entities/{booking}/b-1", headers=h)).status_code == 404
    assert (await api.get(f"/v1/entities/{name('none')}/b", headers=h)).status_code == 404


async def test_filters_and_keyset_paging(api_client: Api, admin_headers: Headers) -> None:
    api, h = api_client, admin_headers
    _, booking = await make_types(api, h)
    records = [
        {"booking_id": f"b{i:02}", "nights": i % 3, "status": ["held", "confirmed"][i % 2]}
        for i in range(10)
    ]
    assert (
        await api.post(f"/v1/entities/{booking}/batch", json={"records": records}, headers=h)
    ).is_success
    url = f"/v1/entities/{booking}"
    params: dict[str, Any] = {"where": ["status:confirmed"], "limit": 2}
    seen, pages = [], 0
    while True:
        page = (await api.get(url, params=params, headers=h)).json()
        seen += [r["key"] for r in page["items"]]
        pages += 1
        if page["next_after"] is None:
            break
        params["after"] = page["next_after"]
    assert (seen, pages) == (["b01", "b03", "b05", "b07", "b09"], 3)
    both = (await api.get(url, params={"where": ["status:held", "nights:0"]}, headers=h)).json()
    assert [r["key"] for r in both["items"]] == ["b00", "b06"]
    resp = await api.get(url, params={"where": ["nights:many", "colour:red", "oops"]}, headers=h)
    assert resp.status_code == 422
    assert [f["field"] for f in resp.json()["fields"]] == ["where[2]"]
    resp = await api.get(url, params={"where": ["nights:many", "colour:red"]}, headers=h)
    assert [f["field"] for f in resp.json()["fields"]] == ["nights", "colour"]


async def test_records_on_the_timeline_and_erased_with_the_profile(
    api_client: Api, admin_headers: Headers, pool: asyncpg.Pool
) -> None:
    api, h = api_client, admin_headers
    _, booking = await make_types(api, h)
    pid, other = name("ent-p"), name("ent-q")
    for p in (pid, other):
        assert (await api.put(f"/v1/profiles/{p}", json={}, headers=h)).status_code == 201
    records = [
        {"booking_id": "b1", "nights": 1, "profile_id": pid},
        {"booking_id": "b2", "nights": 2, "profile_id": pid},
        {"booking_id": "b3", "nights": 3, "profile_id": other},
    ]
    assert (
        await api.post(f"/v1/entities/{booking}/batch", json={"records": records}, headers=h)
    ).is_success
    timeline = f"/v1/profiles/{pid}/timeline"
    first = (await api.get(timeline, params={"kind": "entity", "limit": 1}, headers=h)).json()
    rest = (
        await api.get(
            timeline, params={"kind": "entity", "cursor": first["next_cursor"]}, headers=h
        )
    ).json()
    items = first["items"] + rest["items"]
    assert [(i["kind"], i["data"]["type"], i["data"]["key"]) for i in items] == [
        ("entity", booking, "b1"),
        ("entity", booking, "b2"),
    ]
    assert items[0]["data"]["values"]["nights"] == 1
    everything = (await api.get(timeline, headers=h)).json()["items"]
    assert sum(i["kind"] == "entity" for i in everything) == 2

    resp = await api.delete(f"/v1/profiles/{pid}", headers=h)
    assert resp.status_code == 200, resp.text
    assert resp.json()["counts"][f"entities.{booking}"] == 2
    left = await pool.fetch(f'SELECT booking_id FROM entities."e_{booking}" ORDER BY 1')
    assert [r["booking_id"] for r in left] == ["b3"]


async def test_scopes(api_client: Api, make_key: KeyMaker) -> None:
    reader = await make_key("read", name="entity-reader")
    resp = await api_client.put(f"/v1/entity-types/{name('h')}", json=hotel_type(), headers=reader)
    assert resp.status_code == 403
    resp = await api_client.post(
        f"/v1/entities/{name('h')}/batch", json={"records": [{}]}, headers=reader
    )
    assert resp.status_code == 403
    assert (await api_client.get("/v1/entity-types", headers=reader)).status_code == 200
    assert (await api_client.get("/v1/entity-types")).status_code == 401
    assert (await api_client.get(f"/v1/entities/{name('h')}")).status_code == 401


ENTITIES_PAGE = Path(__file__).parent.parent.parent.parent / "docs" / "entities.md"


def readme_requests() -> list[tuple[str, str, Any]]:
    """(method, path, JSON body) of every curl line of the Entities page before its
    audiences."""
    text = ENTITIES_PAGE.read_text()
    section = text[: text.index("\n## Audiences over entities\n")]
    requests = []
    for block in re.findall(r"```sh\n(.*?)```", section, re.DOTALL):
        words_all = shlex.split(block, comments=True)
        starts = [i for i, w in enumerate(words_all) if w == "curl"]
        for start, end in zip(starts, [*starts[1:], len(words_all)], strict=True):
            words = words_all[start:end]
            method = words[words.index("-sX") + 1] if "-sX" in words else "GET"
            url = next(w for w in words if w.startswith("localhost:8000"))
            body = json.loads(words[words.index("-d") + 1]) if "-d" in words else None
            requests.append((method, url.removeprefix("localhost:8000"), body))
    return requests


async def test_the_entities_page_examples(
    api_client: Api, admin_headers: Headers, pool: asyncpg.Pool
) -> None:
    api, h = api_client, admin_headers
    assert (await api.put("/v1/profiles/ada", json={}, headers=h)).is_success
    answers: list[tuple[str, str, int, Any]] = []
    for method, path, body in readme_requests():
        resp = await api.request(method, path, json=body, headers=h)
        answers.append((method, path, resp.status_code, resp.json() if resp.content else {}))
    statuses = [status for _, _, status, _ in answers]
    assert statuses == [201, 201, 201, 201, 422, 200, 200, 200, 200, 204], answers
    assert [f["field"] for f in answers[4][3]["fields"]] == [
        "records[1].nights",
        "records[1].status",
    ]
    assert answers[1][3]["table"] == "entities.e_booking"
    assert answers[5][3]["values"]["hotel_id"] == "LYS1"
    assert [r["key"] for r in answers[6][3]["items"]] == ["b-1"]
    assert answers[7][3]["version"] == 2
    assert [i["data"]["key"] for i in answers[8][3]["items"]] == ["b-1"]
    assert await pool.fetchval('SELECT count(*) FROM entities."e_booking"') == 0
    # The guide's run (tests/integration/test_docs_readme.py) makes these types
    # again in this database, as a reader would on a fresh one.
    for made in ("booking", "hotel"):
        assert (await api.delete(f"/v1/entity-types/{made}", headers=h)).status_code == 204


async def test_concurrent_saves_of_one_new_type_make_one_table(
    api_client: Api, admin_headers: Headers
) -> None:
    hotel = name("hotel")
    saves = [
        api_client.put(f"/v1/entity-types/{hotel}", json=hotel_type(), headers=admin_headers)
        for _ in range(4)
    ]
    statuses = sorted(r.status_code for r in await asyncio.gather(*saves))
    assert statuses == [200, 200, 200, 201]
    got = (await api_client.get(f"/v1/entity-types/{hotel}", headers=admin_headers)).json()
    assert got["version"] == 4


async def test_numeric_keys_and_a_relation_to_its_own_type(
    api_client: Api, admin_headers: Headers
) -> None:
    api, h = api_client, admin_headers
    node = name("node")
    definition = {
        "fields": {"n": {"type": "number"}, "label": {"type": "string"}},
        "primary_key": "n",
        "relations": {"parent": {"to": node}},
    }
    assert (
        await api.put(f"/v1/entity-types/{node}", json=definition, headers=h)
    ).status_code == 201
    records = [{"n": i, "label": f"n{i}", "parent": i // 2 if i else None} for i in range(12)]
    resp = await api.post(f"/v1/entities/{node}/batch", json={"records": records}, headers=h)
    assert resp.status_code == 200, resp.text
    keys: list[Any] = []
    params: dict[str, Any] = {"limit": 5}
    while True:
        page = (await api.get(f"/v1/entities/{node}", params=params, headers=h)).json()
        keys += [r["key"] for r in page["items"]]
        if page["next_after"] is None:
            break
        params["after"] = page["next_after"]
    assert keys == list(range(12))  # numeric order, not text order (10 after 9)
    children = (
        await api.get(f"/v1/entities/{node}", params={"where": "parent:1"}, headers=h)
    ).json()
    assert [r["key"] for r in children["items"]] == [2, 3]
    assert (await api.get(f"/v1/entities/{node}/7", headers=h)).json()["values"]["label"] == "n7"
    resp = await api.get(f"/v1/entities/{node}/seven", headers=h)
    assert resp.status_code == 422 and resp.json()["fields"][0]["field"] == "key"


async def test_timeline_pages_merge_entities_with_events(
    api_client: Api, admin_headers: Headers, make_key: KeyMaker
) -> None:
    api, h = api_client, admin_headers
    _, booking = await make_types(api, h)
    pid = name("ent-tl")
    assert (await api.put(f"/v1/profiles/{pid}", json={}, headers=h)).status_code == 201
    events = [
        {"event_id": name("ev"), "profile_id": pid, "name": "viewed", "properties": {}}
        for _ in range(3)
    ]
    writer = await make_key("events:write", name="entity-timeline")
    for event in events[:2]:
        assert (await api.post("/v1/events", json=event, headers=writer)).status_code == 202
    batch = [{"booking_id": f"b{i}", "nights": i, "profile_id": pid} for i in range(3)]
    assert (
        await api.post(f"/v1/entities/{booking}/batch", json={"records": batch}, headers=h)
    ).is_success
    assert (await api.post("/v1/events", json=events[2], headers=writer)).status_code == 202
    whole = (await api.get(f"/v1/profiles/{pid}/timeline", headers=h)).json()["items"]
    seen: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": 2}
    while True:
        page = (await api.get(f"/v1/profiles/{pid}/timeline", params=params, headers=h)).json()
        seen += page["items"]
        if page["next_cursor"] is None:
            break
        params["cursor"] = page["next_cursor"]
    assert seen == whole
    assert [i["kind"] for i in whole] == ["event", "event", "entity", "entity", "entity", "event"]


async def test_names_that_would_collide_if_joined_plainly(
    api_client: Api, admin_headers: Headers
) -> None:
    base = name("t")
    first = {
        "fields": {"k": {"type": "string"}},
        "primary_key": "k",
        "relations": {"b__c": {"to": "profile"}},
    }
    second = {
        "fields": {"k": {"type": "string"}},
        "primary_key": "k",
        "relations": {"c": {"to": "profile"}},
    }
    plain = {"fields": {"k": {"type": "string"}}, "primary_key": "k"}
    for type_name, body in (
        (base, first),
        (f"{base}__b", second),  # e_<base>__b__c by plain joining, as the first's index
        (f"{base}_pkey", plain),  # e_<base>_pkey, PostgreSQL's default name for a key
        (f"{base}__b__c", plain),
    ):
        resp = await api_client.put(
            f"/v1/entity-types/{type_name}", json=body, headers=admin_headers
        )
        assert resp.status_code == 201, (type_name, resp.text)

"""Bulk import of entity records on the real stack (`POST /v1/entities/{type}/import`): CSV
cells typed by the definition, row errors by line and field, NDJSON (gzip), a re-import
that changes nothing, and the same audience triggers and timeline as API upserts.

Each test makes its own types and profiles (unique names).
"""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest

from tests.integration.helpers import eventually, uid
from tests.unit.test_entity_import_rows import BOOKING, HOTEL
from workers.worker import Runtime

pytestmark = pytest.mark.integration

Api = httpx.AsyncClient
Headers = dict[str, str]
CSV = {"Content-Type": "text/csv"}
NDJSON = {"Content-Type": "application/x-ndjson"}


def type_name(prefix: str) -> str:
    return uid(prefix).replace("-", "_").lower()


async def put_type(api: Api, h: Headers, name: str, body: dict[str, Any]) -> None:
    resp = await api.put(f"/v1/entity-types/{name}", json=body, headers=h)
    assert resp.status_code == 201, resp.text


async def booking_type(api: Api, h: Headers) -> str:
    """A booking of every field type, related to its guest and to a hotel keyed by number."""
    hotel, booking = type_name("hotel"), type_name("booking")
    await put_type(api, h, hotel, HOTEL.model_dump(mode="json"))
    body = BOOKING.model_dump(mode="json")  # the unit tests' booking, its hotel renamed
    body["relations"]["hotel"] = {"to": hotel}
    await put_type(api, h, booking, body)
    return booking


async def upload(
    api: Api, h: Headers, booking: str, data: bytes, headers: Headers, **params: Any
) -> httpx.Response:
    return await api.post(
        f"/v1/entities/{booking}/import",
        content=data,
        headers={**h, **headers},
        params=params,
    )


async def record(api: Api, h: Headers, booking: str, key: str) -> httpx.Response:
    return await api.get(f"/v1/entities/{booking}/{key}", headers=h)


async def test_csv_cells_are_typed_and_bad_rows_reported_by_line_and_field(
    api_client: Api, admin_headers: Headers
) -> None:
    api, h = api_client, admin_headers
    booking = await booking_type(api, h)
    g = uid("guest")
    data = (
        "booking_id,status,nights,paid,departure,day,extras,guest,hotel\n"
        f'b1,confirmed, 3 ,yes,2026-07-01T10:00:00+02:00,2026-07-01,"{{""wifi"": true}}",{g},7\n'
        f"b2,held,two,no,,,,{g},\n"
        f"b3,maybe,1,true,2026-07-01T10:00:00,,,{g},\n"
        f",held,1,,,,,{g},\n"
        f"b5,held,1,perhaps,,07/01/2026,[1,{g},x\n"
        "b6,held\n"
        "b7,held,,,,,,,\n"
        f"b8,held,,0,,,,{g},\n"
    ).encode()
    resp = await upload(api, h, booking, data, CSV, filename="bookings.csv")
    assert resp.status_code == 201, resp.text
    job = resp.json()
    assert resp.headers["Location"] == f"/v1/entities/{booking}/imports/{job['id']}"
    assert (job["status"], job["entity_type"], job["format"], job["source"]) == (
        "succeeded",
        booking,
        "csv",
        "api",
    )
    assert (job["rows_read"], job["rows_valid"], job["rows_failed"]) == (8, 2, 6)
    assert (job["created"], job["updated"], job["unchanged"]) == (2, 0, 0)
    assert job["errors"] == [
        {"line": 3, "field": "nights", "message": "not a number"},
        {"line": 4, "field": "status", "message": "must be one of held, confirmed"},
        {
            "line": 4,
            "field": "departure",
            "message": "must be an ISO 8601 timestamp with an offset",
        },
        {"line": 5, "field": "booking_id", "message": "is required"},
        {"line": 6, "field": "paid", "message": "not a boolean (true/false, yes/no, 1/0)"},
        {
            "line": 6,
            "field": "extras",
            "message": "not JSON: Expecting ',' delimiter: line 1 column 3 (char 2)",
        },
        {"line": 6, "field": "hotel", "message": "not a number"},
        {"line": 6, "field": "day", "message": "must be a date (YYYY-MM-DD)"},
        {"line": 7, "field": None, "message": "expected 9 cells, found 2"},
        {"line": 8, "field": "guest", "message": "is required"},
    ]
    assert job["error_count"] == 10
    b1 = (await record(api, h, booking, "b1")).json()["values"]
    assert b1 == {
        "booking_id": "b1",
        "status": "confirmed",
        "nights": 3,
        "paid": True,
        "departure": "2026-07-01T08:00:00+00:00",
        "day": "2026-07-01",
        "extras": {"wifi": True},
        "guest": g,
        "hotel": 7,
    }
    b8 = (await record(api, h, booking, "b8")).json()["values"]
    assert (b8["paid"], b8["nights"], b8["extras"]) == (False, None, None)
    assert (await record(api, h, booking, "b2")).status_code == 404
    again = await api.get(f"/v1/entities/{booking}/imports/{job['id']}", headers=h)
    assert again.status_code == 200 and again.json() == job
    other = await api.get(f"/v1/profiles/imports/{job['id']}", headers=h)
    assert other.status_code == 404  # an entity import is not a profile import


async def test_ndjson_gzip_reimport_changes_nothing_and_the_last_row_wins(
    api_client: Api, admin_headers: Headers, pool: asyncpg.Pool
) -> None:
    api, h = api_client, admin_headers
    booking = await booking_type(api, h)
    g = uid("guest")
    rows = [
        {"booking_id": "n1", "status": "held", "profile_id": g, "extras": {"seat": "12A"}},
        {"booking_id": "n2", "status": "held", "guest": 42, "nights": 2.5},
        {"booking_id": "n1", "status": "confirmed", "guest": g, "extras": {"seat": "12A"}},
        {"booking_id": "n3", "status": "held", "guest": g, "colour": "red"},
        {"booking_id": "n4", "status": "held", "guest": g, "extras": "\u0000"},
        [1, 2],
    ]
    data = gzip.compress("\n".join(json.dumps(r) for r in rows).encode())
    first = await upload(api, h, booking, data, {**NDJSON, "Content-Encoding": "gzip"})
    assert first.status_code == 201, first.text
    job = first.json()
    assert (job["rows_read"], job["rows_valid"], job["duplicates"], job["created"]) == (
        6,
        3,
        1,
        2,
    )
    assert job["errors"] == [
        {"line": 4, "field": "colour", "message": "not a field or relation of this type"},
        {"line": 5, "field": "extras", "message": "contains a NUL character (\\u0000)"},
        {"line": 6, "field": None, "message": "expected a JSON object"},
    ]
    n1 = (await record(api, h, booking, "n1")).json()
    assert (n1["values"]["status"], n1["values"]["guest"]) == ("confirmed", g)
    assert (await record(api, h, booking, "n2")).json()["values"]["guest"] == "42"

    table = f'entities."e_{booking}"'
    stamps = "SELECT booking_id, _updated_at FROM " + table + " ORDER BY 1"
    before = await pool.fetch(stamps)
    second = (await upload(api, h, booking, data, {**NDJSON, "Content-Encoding": "gzip"})).json()
    assert (second["created"], second["updated"], second["unchanged"]) == (0, 0, 2)
    assert await pool.fetch(stamps) == before  # nothing written: no trigger, no timeline move

    changed = json.dumps({"booking_id": "n2", "status": "confirmed", "guest": "42"}).encode()
    third = (await upload(api, h, booking, changed, NDJSON)).json()
    assert (third["created"], third["updated"]) == (0, 1)
    n2 = (await record(api, h, booking, "n2")).json()["values"]
    assert (n2["status"], n2["nights"]) == ("confirmed", None)  # written whole, as by PUT


async def test_a_file_that_cannot_be_read_on_imports_nothing(
    api_client: Api, admin_headers: Headers
) -> None:
    api, h = api_client, admin_headers
    booking = await booking_type(api, h)
    cases = [
        ("booking_id,guest,colour\nx1,p,red\n", "header: 'colour' is not a field or relation"),
        ("booking_id,nights:number\nx1,1\n", "the entity type gives its type, drop ':number'"),
        ("booking_id,status\nx1,held\n", "the CSV header has no column for guest (required)"),
        ('booking_id,guest\nx1,"p\n', "a quoted CSV field is never closed"),
    ]
    for text, message in cases:
        resp = await upload(api, h, booking, text.encode(), CSV)
        assert resp.status_code == 422, resp.text
        err = resp.json()
        assert err["error"] == "import_failed" and message in err["message"], err
        assert err["fields"][0]["field"] in ("header", "body")
    assert (await record(api, h, booking, "x1")).status_code == 404
    missing = await upload(api, h, type_name("nothing"), b"a\n1\n", CSV)
    assert missing.status_code == 404, missing.text
    wrong = await upload(api, h, booking, b"{}", {"Content-Type": "application/json"})
    assert wrong.status_code == 415, wrong.text


async def test_imported_records_move_entity_audiences_and_the_timeline(
    api_client: Api, admin_headers: Headers, pool: asyncpg.Pool, runtime: Runtime
) -> None:
    api, h = api_client, admin_headers
    booking = await booking_type(api, h)
    a, b = uid("pa"), uid("pb")
    for p in (a, b):
        assert (await api.put(f"/v1/profiles/{p}", json={}, headers=h)).status_code == 201
    aid = uid("aud-imp")
    rule = {
        "entity": booking,
        "where": [
            {"field": "status", "op": "eq", "value": "confirmed"},
            {"field": "departure", "op": "within_next", "value": "P7D"},
        ],
    }
    body = {"audience_id": aid, "name": aid, "definition": rule}
    assert (await api.post("/v1/audiences", json=body, headers=h)).status_code == 201
    soon = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    data = (
        f"booking_id,status,departure,guest\nt1,confirmed,{soon},{a}\nt2,held,{soon},{b}\n"
    ).encode()
    assert (await upload(api, h, booking, data, CSV)).status_code == 201

    async def members() -> list[str]:
        sql = "SELECT profile_id FROM audience_members WHERE audience_id = $1 ORDER BY 1"
        return [r["profile_id"] for r in await pool.fetch(sql, aid)]

    async def only(expected: list[str]) -> bool:
        return await members() == expected

    await eventually(lambda: only([a]))
    moved = f"booking_id,status,departure,guest\nt1,held,{soon},{a}\nt2,confirmed,{soon},{b}\n"
    assert (await upload(api, h, booking, moved.encode(), CSV)).status_code == 201
    await eventually(lambda: only([b]))
    timeline = await api.get(f"/v1/profiles/{b}/timeline", params={"kind": "entity"}, headers=h)
    items = timeline.json()["items"]
    seen = [(i["data"]["type"], i["data"]["key"], i["data"]["values"]["status"]) for i in items]
    assert seen == [(booking, "t2", "confirmed")]

"""POST /v1/profiles/import streams the body into Postgres; GET .../imports/{id} reports it."""

from __future__ import annotations

import gzip
import json
import uuid
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest

from tests.integration.conftest import KeyMaker
from tests.integration.helpers import uid

pytestmark = pytest.mark.integration


async def test_streamed_csv_upload_larger_than_the_body_limit(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str], pool: asyncpg.Pool
) -> None:
    """30,000 rows (~1.7 MB, over the 1 MiB body limit) sent in chunks: rows reach the
    database while the upload is still going, so the body is never held whole."""
    p = uid("up")
    name = f"{p}.csv"
    seen_while_uploading: list[int] = []

    async def body() -> AsyncIterator[bytes]:
        yield b"profile_id,email,plan,n:integer\n"
        for start in range(0, 30_000, 1_000):
            if start == 25_000:
                seen_while_uploading.append(
                    await pool.fetchval(
                        "SELECT rows_read FROM profile_imports WHERE filename = $1", name
                    )
                )
            rows = (f"{p}-{i},u{i}@example.com,gold,{i}\n" for i in range(start, start + 1_000))
            yield "".join(rows).encode()
        yield f"{p}-bad,nope,gold,x\n".encode()

    headers = {**admin_headers, "Content-Type": "text/csv; charset=utf-8"}
    resp = await api_client.post(
        "/v1/profiles/import", params={"filename": name}, content=body(), headers=headers
    )
    assert resp.status_code == 201, resp.text
    report = resp.json()
    assert seen_while_uploading and seen_while_uploading[0] >= 20_000
    assert report["status"] == "succeeded" and report["source"] == "api"
    assert (report["rows_read"], report["rows_valid"], report["created"]) == (
        30_001,
        30_000,
        30_000,
    )
    assert report["rows_failed"] == 1 and report["error_count"] == 2
    assert {(e["line"], e["field"]) for e in report["errors"]} == {(30_002, "email"), (30_002, "n")}
    assert resp.headers["location"] == f"/v1/profiles/imports/{report['id']}"

    got = await api_client.get(resp.headers["location"], headers=admin_headers)
    assert got.status_code == 200 and got.json() == report
    prof = await api_client.get(f"/v1/profiles/{p}-29999", headers=admin_headers)
    assert prof.json()["attributes"] == {"plan": "gold", "n": 29_999}


async def test_gzip_ndjson_upload_and_reimport(
    api_client: httpx.AsyncClient, make_key: KeyMaker
) -> None:
    headers = await make_key("profiles:write", "read")
    p = uid("gz")
    lines = [
        {"profile_id": p, "email": "a@example.com", "attributes": {"plan": "pro", "seats": 3}},
        {"profile_id": f"{p}-x", "timezone": "Europe/Atlantis"},
    ]
    data = gzip.compress("\n".join(json.dumps(x) for x in lines).encode())
    upload = {**headers, "Content-Type": "application/x-ndjson", "Content-Encoding": "gzip"}
    resp = await api_client.post("/v1/profiles/import", content=data, headers=upload)
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert (body["created"], body["rows_failed"]) == (1, 1)
    assert body["errors"] == [
        {"line": 2, "field": "timezone", "message": "unknown IANA time zone 'Europe/Atlantis'"}
    ]

    again = b'{"profile_id": "%s", "attributes": {"seats": 5}}\n' % p.encode()
    resp = await api_client.post(
        "/v1/profiles/import", params={"format": "ndjson"}, content=again, headers=headers
    )
    assert resp.status_code == 201, resp.text
    assert resp.json()["updated"] == 1
    prof = (await api_client.get(f"/v1/profiles/{p}", headers=headers)).json()
    assert prof["email"] == "a@example.com"
    assert prof["attributes"] == {"plan": "pro", "seats": 5}


async def test_refusals_name_the_problem(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str], make_key: KeyMaker
) -> None:
    csv = {"Content-Type": "text/csv"}
    resp = await api_client.post(
        "/v1/profiles/import", content=b"a,b\n", headers={**admin_headers, "Content-Type": "x/y"}
    )
    assert resp.status_code == 415 and "text/csv" in resp.json()["message"]
    latin = {**admin_headers, "Content-Type": "text/csv; charset=ISO-8859-1"}
    resp = await api_client.post("/v1/profiles/import", content=b"profile_id\n", headers=latin)
    assert resp.status_code == 415 and "UTF-8" in resp.json()["message"]

    resp = await api_client.post(
        "/v1/profiles/import", content=b"email,plan\nx@y,1\n", headers={**admin_headers, **csv}
    )
    assert resp.status_code == 422, resp.text
    err = resp.json()
    assert err["error"] == "import_failed"
    assert err["fields"] == [
        {"field": "header", "message": "the CSV header has no profile_id (or user_id) column"}
    ]
    import_id = err["message"].split()[1]
    job = (await api_client.get(f"/v1/profiles/imports/{import_id}", headers=admin_headers)).json()
    assert job["status"] == "failed" and job["error"] == err["fields"][0]["message"]

    missing = await api_client.get(f"/v1/profiles/imports/{uuid.uuid4()}", headers=admin_headers)
    assert missing.status_code == 404
    reader = await make_key("read")
    resp = await api_client.post(
        "/v1/profiles/import", content=b"profile_id\nx\n", headers={**reader, **csv}
    )
    assert resp.status_code == 403 and "profiles:write" in resp.json()["message"]
    resp = await api_client.post("/v1/profiles/import", content=b"profile_id\nx\n", headers=csv)
    assert resp.status_code == 401

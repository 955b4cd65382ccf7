"""Every error kind answers the same shape and names the offending fields."""

from __future__ import annotations

import uuid

import httpx
import pytest

pytestmark = pytest.mark.integration


def error(resp: httpx.Response, status: int, code: str) -> dict:
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert set(body) == {"error", "message", "fields"}
    assert body["error"] == code
    return body


async def test_malformed_json_is_400_with_position(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    resp = await api_client.post(
        "/v1/events",
        content=b'{\n  "name": "x",\n  "profile_id": oops\n}',
        headers={**admin_headers, "Content-Type": "application/json"},
    )
    body = error(resp, 400, "malformed_json")
    assert "line 3 column 17" in body["message"]
    assert body["fields"][0]["field"] == "body"


async def test_unknown_fields_are_named(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    resp = await api_client.post(
        "/v1/events",
        json={"name": "x", "profile_id": "p", "propertys": {}, "user": 1},
        headers=admin_headers,
    )
    body = error(resp, 422, "validation_error")
    assert {(f["field"], f["message"]) for f in body["fields"]} == {
        ("propertys", "unknown field"),
        ("user", "unknown field"),
    }


async def test_missing_and_wrong_fields_are_named(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    resp = await api_client.post(
        "/v1/events", json={"name": "", "properties": []}, headers=admin_headers
    )
    body = error(resp, 422, "validation_error")
    assert {f["field"] for f in body["fields"]} == {"name", "profile_id", "properties"}


async def test_oversize_body_is_413(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str], settings: object
) -> None:
    limit = settings.max_body_bytes  # type: ignore[attr-defined]
    big = {"name": "x", "profile_id": "p", "properties": {"blob": "a" * limit}}
    resp = await api_client.post("/v1/events", json=big, headers=admin_headers)
    body = error(resp, 413, "payload_too_large")
    assert str(limit) in body["message"]


async def test_oversize_chunked_body_is_413(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str], settings: object
) -> None:
    limit = settings.max_body_bytes  # type: ignore[attr-defined]

    async def chunks():  # no Content-Length: the limit is enforced while reading
        yield b'{"name": "x", "profile_id": "p", "properties": {"blob": "'
        for _ in range(limit // 65536 + 2):
            yield b"a" * 65536
        yield b'"}}'

    resp = await api_client.post(
        "/v1/events",
        content=chunks(),
        headers={**admin_headers, "Content-Type": "application/json"},
    )
    assert "content-length" not in resp.request.headers
    error(resp, 413, "payload_too_large")


async def test_unsupported_content_type_is_415(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    resp = await api_client.post(
        "/v1/events",
        content=b"name=x&profile_id=p",
        headers={**admin_headers, "Content-Type": "application/x-www-form-urlencoded"},
    )
    body = error(resp, 415, "unsupported_media_type")
    assert "application/json" in body["message"]
    resp = await api_client.put(
        f"/v1/journeys/j-{uuid.uuid4().hex[:8]}",
        content=b"<journey/>",
        headers={**admin_headers, "Content-Type": "application/xml"},
    )
    error(resp, 415, "unsupported_media_type")


async def test_unknown_route_and_method(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    error(await api_client.get("/v1/nope", headers=admin_headers), 404, "not_found")
    error(await api_client.delete("/v1/events", headers=admin_headers), 405, "method_not_allowed")


async def test_bad_query_parameter_is_named(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    resp = await api_client.get("/v1/messages", params={"limit": 0}, headers=admin_headers)
    body = error(resp, 422, "validation_error")
    assert [f["field"] for f in body["fields"]] == ["limit"]


async def test_openapi_and_docs(api_client: httpx.AsyncClient) -> None:
    resp = await api_client.get("/openapi.json")
    assert resp.status_code == 200
    spec = resp.json()
    assert spec["info"]["title"] == "Wayline"
    paths = spec["paths"]
    for path in (
        "/v1/events",
        "/v1/events/batch",
        "/v1/journeys/{journey_id}/publish",
        "/v1/profiles/{profile_id}/journeys",
        "/v1/messages",
        "/health",
    ):
        assert path in paths
    assert paths["/v1/events"]["post"]["summary"]
    assert "HTTPBearer" in spec["components"]["securitySchemes"]
    assert (await api_client.get("/docs")).status_code == 200

"""Finding a profile by id, alias, email or phone, and the audiences it is in now: what the
console's profile inspector asks."""

from __future__ import annotations

import asyncpg
import httpx
import pytest

from tests.integration.conftest import KeyMaker
from tests.integration.helpers import uid

pytestmark = pytest.mark.integration


async def found(api: httpx.AsyncClient, h: dict[str, str], text: str) -> list[tuple[str, str]]:
    resp = await api.get("/v1/profiles", params={"q": text}, headers=h)
    assert resp.status_code == 200, resp.text
    return [(p["profile_id"], p["matched_by"]) for p in resp.json()["items"]]


async def test_find_by_id_alias_email_and_phone(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str], pool: asyncpg.Pool
) -> None:
    h = admin_headers
    pid, old = uid("find"), uid("anon")
    email = f"{pid}@Example.com"
    body = {"email": email, "phone": "+33 6 12 34 56 78", "attributes": {"plan": "pro"}}
    assert (await api_client.put(f"/v1/profiles/{pid}", json=body, headers=h)).status_code == 201
    await pool.execute(
        "INSERT INTO profile_aliases (alias_id, profile_id) VALUES ($1, $2)", old, pid
    )

    assert await found(api_client, h, pid) == [(pid, "id")]
    assert await found(api_client, h, old) == [(pid, "alias")]
    assert await found(api_client, h, email.upper()) == [(pid, "email")]
    phone_hits = await found(api_client, h, "+33 6.12.34.56.78")
    assert (pid, "phone") in phone_hits and all(m == "phone" for _, m in phone_hits)
    assert await found(api_client, h, uid("nobody")) == []
    resp = await api_client.get("/v1/profiles", params={"q": pid}, headers=h)
    assert resp.json()["items"][0]["attributes"] == {"plan": "pro"}


async def test_search_text_is_required_and_bounded(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    for params in ({}, {"q": ""}, {"q": "x" * 321}):
        resp = await api_client.get("/v1/profiles", params=params, headers=admin_headers)
        assert resp.status_code == 422, resp.text
        assert resp.json()["fields"][0]["field"] == "q"


async def test_audiences_of_a_profile(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    h = admin_headers
    pid, plan = uid("member"), uid("plan")
    assert (
        await api_client.put(f"/v1/profiles/{pid}", json={"attributes": {"plan": plan}}, headers=h)
    ).status_code == 201
    aid = uid("aud-pro")
    rule = {"attribute": "plan", "op": "eq", "value": plan}
    resp = await api_client.post(
        "/v1/audiences",
        json={"audience_id": aid, "name": "Pro plan", "definition": rule},
        headers=h,
    )
    assert resp.status_code == 201, resp.text
    resp = await api_client.get(f"/v1/profiles/{pid}/audiences", headers=h)
    assert resp.status_code == 200, resp.text
    items = resp.json()["items"]
    assert [(a["audience_id"], a["name"]) for a in items] == [(aid, "Pro plan")]
    assert items[0]["entered_at"]
    empty = await api_client.get(f"/v1/profiles/{uid('none')}/audiences", headers=h)
    assert empty.json() == {"items": [], "count": 0}


async def test_read_scope_needed(api_client: httpx.AsyncClient, make_key: KeyMaker) -> None:
    writer = await make_key("events:write")
    for path in ("/v1/profiles?q=x", "/v1/profiles/x/audiences"):
        assert (await api_client.get(path, headers=writer)).status_code == 403
        assert (await api_client.get(path)).status_code == 401

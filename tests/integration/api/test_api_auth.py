"""Bearer keys: missing, invalid, revoked, scopes, bootstrap, key management."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest

from api.app import create_app
from api.keys import ensure_bootstrap_key, generate_key, hash_key
from core.settings import Settings
from db.migrate import migrate_url
from db.pool import create_pool
from tests.conftest import ADMIN_KEY
from tests.integration.conftest import KeyMaker

pytestmark = pytest.mark.integration


def assert_error(resp: httpx.Response, status: int, code: str) -> dict:
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert body["error"] == code
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["fields"], list)
    return body


async def test_health_needs_no_key(api_client: httpx.AsyncClient) -> None:
    resp = await api_client.get("/health")
    assert resp.status_code == 200
    assert resp.json() == {"status": "ok"}


async def test_missing_key_is_401_with_challenge(api_client: httpx.AsyncClient) -> None:
    resp = await api_client.get("/v1/journeys")
    assert_error(resp, 401, "unauthorized")
    assert resp.headers["www-authenticate"] == "Bearer"


async def test_wrong_scheme_is_401(api_client: httpx.AsyncClient) -> None:
    resp = await api_client.get("/v1/journeys", headers={"Authorization": f"Basic {ADMIN_KEY}"})
    assert_error(resp, 401, "unauthorized")


async def test_invalid_key_is_401(api_client: httpx.AsyncClient) -> None:
    resp = await api_client.get(
        "/v1/journeys", headers={"Authorization": f"Bearer {generate_key()}"}
    )
    body = assert_error(resp, 401, "unauthorized")
    assert "invalid" in body["message"]
    assert resp.headers["www-authenticate"] == "Bearer"


async def test_missing_scope_is_403_naming_it(
    api_client: httpx.AsyncClient, make_key: KeyMaker
) -> None:
    reader = await make_key("read")
    resp = await api_client.post(
        "/v1/events", json={"name": "x", "profile_id": "p"}, headers=reader
    )
    body = assert_error(resp, 403, "forbidden")
    assert "events:write" in body["message"]
    assert (await api_client.get("/v1/journeys", headers=reader)).status_code == 200


async def test_admin_implies_every_scope(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    resp = await api_client.post(
        "/v1/events",
        json={"name": "x", "profile_id": f"p-{uuid.uuid4().hex}"},
        headers=admin_headers,
    )
    assert resp.status_code == 202, resp.text


async def test_non_admin_cannot_manage_keys(
    api_client: httpx.AsyncClient, make_key: KeyMaker
) -> None:
    writer = await make_key("events:write", "journeys:write", "profiles:write", "read")
    resp = await api_client.post(
        "/v1/api-keys", json={"name": "x", "scopes": ["admin"]}, headers=writer
    )
    assert_error(resp, 403, "forbidden")
    assert_error(await api_client.get("/v1/api-keys", headers=writer), 403, "forbidden")


async def test_create_list_revoke(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str], pool: asyncpg.Pool
) -> None:
    name = f"svc-{uuid.uuid4().hex[:8]}"
    resp = await api_client.post(
        "/v1/api-keys",
        json={"name": name, "scopes": ["events:write", "read"]},
        headers=admin_headers,
    )
    assert resp.status_code == 201, resp.text
    created = resp.json()
    key = created["key"]
    assert key.startswith("wl_") and created["prefix"] == key[:11]
    assert len(key.split("_", 2)[1]) == 8
    assert created["scopes"] == ["events:write", "read"]
    # Stored as a SHA-256 hash, never in clear.
    stored = await pool.fetchrow("SELECT * FROM api_keys WHERE id = $1", uuid.UUID(created["id"]))
    assert stored["key_hash"] == hash_key(key) and key not in [str(v) for v in stored.values()]

    resp = await api_client.get("/v1/api-keys", headers=admin_headers)
    assert resp.status_code == 200
    listed = [k for k in resp.json()["items"] if k["id"] == created["id"]]
    assert listed and "key" not in listed[0] and listed[0]["revoked_at"] is None
    assert all("key" not in k and "key_hash" not in k for k in resp.json()["items"])

    headers = {"Authorization": f"Bearer {key}"}
    assert (await api_client.get("/v1/journeys", headers=headers)).status_code == 200  # cached now
    resp = await api_client.delete(f"/v1/api-keys/{created['id']}", headers=admin_headers)
    assert resp.status_code == 204, resp.text
    # Revocation wins over the verification cache at once.
    assert_error(await api_client.get("/v1/journeys", headers=headers), 401, "unauthorized")
    # Revoking again is harmless; an unknown id is 404.
    resp = await api_client.delete(f"/v1/api-keys/{created['id']}", headers=admin_headers)
    assert resp.status_code == 204
    resp = await api_client.delete(f"/v1/api-keys/{uuid.uuid4()}", headers=admin_headers)
    assert_error(resp, 404, "not_found")


async def test_create_key_validates_scopes(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    resp = await api_client.post(
        "/v1/api-keys", json={"name": "x", "scopes": ["read", "root"]}, headers=admin_headers
    )
    body = assert_error(resp, 422, "validation_error")
    assert [f["field"] for f in body["fields"]] == ["scopes[1]"]


@pytest.fixture
async def scratch_url(settings: Settings) -> AsyncIterator[str]:
    """A fresh, migrated database of its own, for tests that need an empty api_keys."""
    dbname = f"scratch_{uuid.uuid4().hex[:8]}"
    base = settings.database_url.rsplit("/", 1)[0]
    admin = await asyncpg.connect(f"{base}/postgres")
    try:
        await admin.execute(f'CREATE DATABASE "{dbname}"')
        await migrate_url(f"{base}/{dbname}")
        yield f"{base}/{dbname}"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        await admin.close()


async def test_bootstrap_key(settings: Settings, pool: asyncpg.Pool, scratch_url: str) -> None:
    # Keys exist in the shared database: nothing happens.
    assert await ensure_bootstrap_key(pool, settings) is None
    scratch = await create_pool(scratch_url, min_size=1, max_size=2)
    try:
        random_key = await ensure_bootstrap_key(
            scratch, settings.model_copy(update={"bootstrap_key": None})
        )
        assert random_key is not None and random_key.startswith("wl_")
        row = await scratch.fetchrow("SELECT name, scopes, key_hash FROM api_keys")
        assert row["scopes"] == ["admin"] and row["key_hash"] == hash_key(random_key)
        # Keys exist now: the configured bootstrap key is not added.
        assert await ensure_bootstrap_key(scratch, settings) is None
        assert await scratch.fetchval("SELECT count(*) FROM api_keys") == 1

        await scratch.execute("DELETE FROM api_keys")
        assert await ensure_bootstrap_key(scratch, settings) == ADMIN_KEY
        assert (
            await scratch.fetchval(
                "SELECT count(*) FROM api_keys WHERE key_hash = $1", hash_key(ADMIN_KEY)
            )
            == 1
        )
    finally:
        await scratch.close()


async def test_last_admin_key_cannot_be_revoked(settings: Settings, scratch_url: str) -> None:
    own = settings.model_copy(update={"database_url": scratch_url})
    app = create_app(own)
    async with app.router.lifespan_context(app):
        assert await ensure_bootstrap_key(app.state.pool, own) == ADMIN_KEY
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://w") as client:
            h = {"Authorization": f"Bearer {ADMIN_KEY}"}
            keys = (await client.get("/v1/api-keys", headers=h)).json()["items"]
            assert len(keys) == 1 and keys[0]["name"] == "bootstrap"
            resp = await client.delete(f"/v1/api-keys/{keys[0]['id']}", headers=h)
            body = assert_error(resp, 409, "conflict")
            assert "last active admin" in body["message"]
            # With a second admin key, the first can go.
            resp = await client.post(
                "/v1/api-keys", json={"name": "admin2", "scopes": ["admin"]}, headers=h
            )
            h2 = {"Authorization": f"Bearer {resp.json()['key']}"}
            assert (
                await client.delete(f"/v1/api-keys/{keys[0]['id']}", headers=h2)
            ).status_code == 204
            assert_error(await client.get("/v1/api-keys", headers=h), 401, "unauthorized")

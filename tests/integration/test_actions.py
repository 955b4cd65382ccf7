"""Custom actions: the resource API, the SSRF refusal, secrets, response fields, errors."""

from __future__ import annotations

import uuid

import asyncpg
import httpx
import pytest
from temporalio.exceptions import ApplicationError

from activities.actions import ActionActivities
from activities.http_guard import GuardedClient
from core.contracts import ActionCallInput
from tests.integration.provider import FakeProvider

pytestmark = pytest.mark.integration


def call(name: str, **params: object) -> ActionCallInput:
    return ActionCallInput(
        call_id=str(uuid.uuid4()),
        kind="action",
        name=name,
        params=dict(params),
        profile_id="p-1",
        journey={"id": "j", "version": 1},
        node_id="crm",
    )


async def put_action(
    api: httpx.AsyncClient, h: dict[str, str], name: str, spec: dict[str, object]
) -> httpx.Response:
    return await api.put(f"/v1/actions/{name}", json=spec, headers=h)


async def test_action_resource_validates_fields(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    name = f"a-{uuid.uuid4().hex[:6]}"
    resp = await put_action(
        api_client,
        admin_headers,
        name,
        {
            "url": "ftp://example.com",
            "timeout_seconds": 0,
            "auth": {"type": "digest", "secret": "x"},
        },
    )
    assert resp.status_code == 422
    fields = {f["field"] for f in resp.json()["fields"]}
    assert {"url", "timeout_seconds", "auth.type"} <= fields
    ok = {
        "url": "https://crm.example.com/users/{{ params.id }}",
        "rate_limit": 5,
        "body": '{"plan": "{{ params.plan }}"}',
        "response_fields": ["score"],
    }
    assert (await put_action(api_client, admin_headers, name, ok)).status_code == 201
    got = await api_client.get(f"/v1/actions/{name}", headers=admin_headers)
    assert got.json()["spec"]["rate_limit"] == 5


async def test_internal_address_is_refused_unless_allowed(
    pool: asyncpg.Pool,
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    name = f"a-{uuid.uuid4().hex[:6]}"
    monkeypatch.setenv(f"WAYLINE_SECRET_{name.upper().replace('-', '_')}", "s3cret")
    monkeypatch.setenv(f"WAYLINE_SECRET_{name.upper().replace('-', '_')}_HOSTS", "127.0.0.1")
    with FakeProvider() as provider:
        provider.response = {"score": 42, "internal": "do not leak", "nested": {"a": 1, "b": 2}}
        spec = {
            "url": provider.url + "?u={{ params.id }}",
            "body": '{"id": "{{ params.id }}"}',
            "response_fields": ["score", "nested.a"],
            "auth": {"type": "bearer", "secret": name.replace("-", "_")},
        }
        assert (await put_action(api_client, admin_headers, name, spec)).is_success
        async with GuardedClient() as guarded, GuardedClient(frozenset({"127.0.0.1"})) as http:
            refused = await ActionActivities(pool, guarded).call_action(call(name, id="u1"))
            assert not refused.ok and "internal address 127.0.0.1" in (refused.error or "")
            assert provider.requests == [], "a refused call never leaves the worker"
            allowed = ActionActivities(pool, http)
            inp = call(name, id="u1")
            result = await allowed.call_action(inp)
            again = await allowed.call_action(inp)
    assert result.ok and result.response == {"score": 42, "nested": {"a": 1}}
    assert again == result and len(provider.requests) == 1, "a finished call is not repeated"
    key, body = provider.requests[0]
    assert key == inp.call_id and body == {"id": "u1"}
    assert provider.headers[0]["Authorization"] == "Bearer s3cret"
    row = await pool.fetchrow(
        "SELECT status, request FROM action_calls WHERE call_id = $1", inp.call_id
    )
    assert row is not None and row["status"] == "succeeded"
    assert row["request"]["url"].endswith("?u=u1")


async def test_errors_final_or_retryable(
    pool: asyncpg.Pool, api_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    name = f"a-{uuid.uuid4().hex[:6]}"
    with FakeProvider() as provider:
        assert await put_action(api_client, admin_headers, name, {"url": provider.url})
        async with GuardedClient(frozenset({"127.0.0.1"})) as http:
            acts = ActionActivities(pool, http)
            provider.status = 503
            with pytest.raises(ApplicationError):
                await acts.call_action(call(name))
            provider.status = 404
            final = await acts.call_action(call(name))
            missing = await acts.call_action(call("no-such-action"))
    assert not final.ok and "404" in (final.error or "")
    assert not missing.ok and "does not exist" in (missing.error or "")


async def test_secret_is_refused_at_save_for_a_host_it_is_not_bound_to(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WAYLINE_SECRET_CRM", "s3cret")
    monkeypatch.setenv("WAYLINE_SECRET_CRM_HOSTS", "api.crm.example, *.crm.example")
    auth = {"type": "bearer", "secret": "CRM"}
    for path in ("actions", "data-sources"):
        name = f"a-{uuid.uuid4().hex[:6]}"
        resp = await api_client.put(
            f"/v1/{path}/{name}",
            json={"url": "https://evil.example/steal?u={{ params.id }}", "auth": auth},
            headers=admin_headers,
        )
        assert resp.status_code == 422, resp.text
        message = (
            "secret 'CRM' may not be sent to evil.example: its hosts "
            "(WAYLINE_SECRET_CRM_HOSTS) are api.crm.example, *.crm.example"
        )
        assert resp.json()["message"] == message
        assert resp.json()["fields"] == [{"field": "auth.secret", "message": message}]
        got = await api_client.get(f"/v1/{path}/{name}", headers=admin_headers)
        assert got.status_code == 404, "nothing was saved"


async def test_secret_without_hosts_or_with_a_templated_host_is_refused(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WAYLINE_SECRET_BARE", "s3cret")
    monkeypatch.delenv("WAYLINE_SECRET_BARE_HOSTS", raising=False)
    monkeypatch.setenv("WAYLINE_SECRET_CRM_HOSTS", "*.crm.example")
    cases = {
        ("BARE", "https://api.crm.example/x"): "secret 'BARE' may not be sent to "
        "api.crm.example: it declares no hosts (WAYLINE_SECRET_BARE_HOSTS)",
        ("CRM", "https://{{ params.h }}.crm.example/x"): "secret 'CRM' needs a literal host "
        "in url, not a template",
        ("CRM", "https://crm.example/x"): "secret 'CRM' may not be sent to crm.example: its "
        "hosts (WAYLINE_SECRET_CRM_HOSTS) are *.crm.example",
    }
    for (secret, url), message in cases.items():
        spec = {"url": url, "auth": {"type": "bearer", "secret": secret}}
        resp = await put_action(api_client, admin_headers, f"a-{uuid.uuid4().hex[:6]}", spec)
        assert resp.status_code == 422, url
        assert resp.json()["fields"] == [{"field": "auth.secret", "message": message}]


async def test_secret_is_accepted_for_a_declared_host(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WAYLINE_SECRET_CRM_HOSTS", "api.crm.example,*.crm.example")
    for url in ("https://api.crm.example/u/{{ params.id }}", "https://eu.CRM.example:8443/u"):
        spec = {"url": url, "auth": {"type": "basic", "secret": "crm"}}
        resp = await put_action(api_client, admin_headers, f"a-{uuid.uuid4().hex[:6]}", spec)
        assert resp.status_code == 201, resp.text


async def test_secret_is_refused_at_send_when_its_hosts_changed(
    pool: asyncpg.Pool,
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Saved while the host was declared, called after it was dropped: nothing is sent."""
    name = f"a-{uuid.uuid4().hex[:6]}"
    secret = name.upper().replace("-", "_")
    monkeypatch.setenv(f"WAYLINE_SECRET_{secret}", "s3cret")
    monkeypatch.setenv(f"WAYLINE_SECRET_{secret}_HOSTS", "127.0.0.1")
    with FakeProvider() as provider:
        spec = {"url": provider.url, "auth": {"type": "bearer", "secret": secret}}
        assert (await put_action(api_client, admin_headers, name, spec)).status_code == 201
        monkeypatch.setenv(f"WAYLINE_SECRET_{secret}_HOSTS", "api.crm.example")
        async with GuardedClient(frozenset({"127.0.0.1"})) as http:
            result = await ActionActivities(pool, http).call_action(call(name))
    assert not result.ok
    assert result.error == (
        f"refused: secret {secret!r} may not be sent to 127.0.0.1: its hosts "
        f"(WAYLINE_SECRET_{secret}_HOSTS) are api.crm.example"
    )
    assert provider.requests == [] and provider.headers == [], "the provider saw no request"

"""Templates: compiled on save, errors named, deletion guarded by live journeys."""

from __future__ import annotations

import httpx
import pytest

from tests.integration.helpers import uid

pytestmark = pytest.mark.integration


async def test_put_get_list_delete(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    name = uid("tpl")
    body = {
        "channel": "webhook",
        "subject": "Hi {{ profile.attributes.first_name }}",
        "body": "Your cart: {{ event.properties.total }}",
    }
    resp = await api_client.put(f"/v1/templates/{name}", json=body, headers=admin_headers)
    assert resp.status_code == 201, resp.text
    assert {k: resp.json()[k] for k in body} == body
    resp = await api_client.put(
        f"/v1/templates/{name}", json={"channel": "log", "body": "plain"}, headers=admin_headers
    )
    assert resp.status_code == 200, resp.text
    got = (await api_client.get(f"/v1/templates/{name}", headers=admin_headers)).json()
    assert got["channel"] == "log" and got["subject"] is None and got["body"] == "plain"
    listed = (await api_client.get("/v1/templates", headers=admin_headers)).json()["items"]
    assert name in [t["name"] for t in listed]
    assert (
        await api_client.delete(f"/v1/templates/{name}", headers=admin_headers)
    ).status_code == 204
    resp = await api_client.get(f"/v1/templates/{name}", headers=admin_headers)
    assert resp.status_code == 404 and resp.json()["error"] == "not_found"
    resp = await api_client.delete(f"/v1/templates/{name}", headers=admin_headers)
    assert resp.status_code == 404


async def test_syntax_errors_name_subject_and_body(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    name = uid("tpl")
    resp = await api_client.put(
        f"/v1/templates/{name}",
        json={"channel": "log", "subject": "{{ oops", "body": "{% if %}"},
        headers=admin_headers,
    )
    assert resp.status_code == 422, resp.text
    assert {f["field"] for f in resp.json()["fields"]} == {"subject", "body"}
    assert (await api_client.get(f"/v1/templates/{name}", headers=admin_headers)).status_code == 404


async def test_unknown_channel_and_bad_name(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    resp = await api_client.put(
        f"/v1/templates/{uid('tpl')}",
        json={"channel": "pigeon", "body": "x"},
        headers=admin_headers,
    )
    assert resp.status_code == 422
    [problem] = resp.json()["fields"]
    assert problem["field"] == "channel" and "log" in problem["message"]
    resp = await api_client.put(
        "/v1/templates/bad%20name", json={"channel": "log", "body": "x"}, headers=admin_headers
    )
    assert resp.status_code == 422 and resp.json()["fields"][0]["field"] == "name"


async def test_delete_refused_while_a_live_journey_uses_it(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    tpl, jid = uid("tpl"), uid("j")
    await api_client.put(
        f"/v1/templates/{tpl}", json={"channel": "log", "body": "hi"}, headers=admin_headers
    )
    definition = {
        "name": "Uses a template",
        "entry": {"event": "signup"},
        "start": "hello",
        "nodes": {
            "hello": {"type": "message", "channel": "log", "template": tpl, "next": "done"},
            "done": {"type": "end"},
        },
    }
    resp = await api_client.put(f"/v1/journeys/{jid}", json=definition, headers=admin_headers)
    assert resp.status_code == 201, resp.text
    resp = await api_client.post(f"/v1/journeys/{jid}/publish", headers=admin_headers)
    assert resp.status_code == 201, resp.text
    resp = await api_client.delete(f"/v1/templates/{tpl}", headers=admin_headers)
    assert resp.status_code == 409, resp.text
    assert jid in resp.json()["message"]
    await api_client.post(f"/v1/journeys/{jid}/stop", headers=admin_headers)
    assert (
        await api_client.delete(f"/v1/templates/{tpl}", headers=admin_headers)
    ).status_code == 204

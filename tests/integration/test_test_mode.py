"""Test mode: a draft walked on a virtual clock, nothing sent, everything shown."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import httpx
import pytest

from tests.integration.helpers import uid

pytestmark = pytest.mark.integration


def draft(jid: str, run: str) -> dict[str, Any]:
    return {
        "id": jid,
        "name": "Cart test",
        "entry": {"event": "cart.updated", "when": "event.properties.total > 0"},
        "start": "wait_order",
        "exit_on": ["order.completed"],
        "nodes": {
            "wait_order": {
                "type": "wait_for_event",
                "event": "order.completed",
                "timeout": "PT1H",
                "on_event": "done",
                "on_timeout": "remind",
            },
            "remind": {
                "type": "message",
                "channel": "log",
                "template": f"{run}-remind",
                "next": "wait_day",
            },
            "wait_day": {"type": "wait", "duration": "P1D", "next": "big"},
            "big": {
                "type": "condition",
                "otherwise": "done",
                "branches": [{"when": "event.properties.total > 100", "next": "crm"}],
            },
            "crm": {
                "type": "action",
                "action": f"{run}-crm",
                "params": {"id": "{{ profile.profile_id }}"},
                "next": "done",
            },
            "done": {"type": "end"},
        },
    }


async def test_draft_runs_on_a_virtual_clock(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str], pool: asyncpg.Pool
) -> None:
    api, h = api_client, admin_headers
    jid, run = f"tm-{uuid.uuid4().hex[:6]}", uuid.uuid4().hex[:6]
    assert (
        await api.put(
            f"/v1/templates/{run}-remind",
            headers=h,
            json={
                "channel": "log",
                "body": "Hi {{ profile.attributes.name }}, {{ event.properties.total }}",
            },
        )
    ).is_success
    assert (
        await api.put(
            f"/v1/actions/{run}-crm",
            headers=h,
            json={
                "url": "https://crm.example.com/users/{{ params.id }}",
                "method": "POST",
                "body": '{"user": "{{ params.id }}"}',
                "response_fields": ["tier"],
            },
        )
    ).is_success
    assert (await api.put(f"/v1/journeys/{jid}", json=draft(jid, run), headers=h)).is_success
    body = {
        "profile": {"profile_id": "ada", "attributes": {"name": "Ada"}},
        "entry_properties": {"total": 150},
        "start": "2026-03-02T10:00:00Z",
        "action_responses": {f"{run}-crm": {"tier": "gold", "secret": "x"}},
    }
    resp = await api.post(f"/v1/journeys/{jid}/test", json=body, headers=h)
    assert resp.status_code == 200, resp.text
    out = resp.json()
    assert out["status"] == "completed" and out["entered"]
    assert [p["node"] for p in out["path"]] == [
        "wait_order",
        "remind",
        "wait_day",
        "big",
        "crm",
        "done",
    ]
    assert out["ended_at"].startswith("2026-03-03T11:00:00")  # 1 h + 1 day, no real waiting
    message, call = out["steps"]
    assert message["kind"] == "message" and message["body"] == "Hi Ada, 150"
    assert call["request"]["url"] == "https://crm.example.com/users/ada"
    assert call["request"]["json"] == {"user": "ada"}
    assert out["vars"] == {"crm": {"tier": "gold"}}
    sent = await pool.fetchval("SELECT count(*) FROM messages WHERE journey_id = $1", jid)
    assert sent == 0, "test mode sends nothing"

    body["events"] = [{"name": "order.completed", "after": "PT30M"}]
    out = (await api.post(f"/v1/journeys/{jid}/test", json=body, headers=h)).json()
    assert [p["node"] for p in out["path"]] == ["wait_order", "done"] and out["steps"] == []

    body["entry_properties"] = {"total": 0}
    out = (await api.post(f"/v1/journeys/{jid}/test", json=body, headers=h)).json()
    assert out["entered"] is False

    body["events"] = [{"name": "x", "after": "soon"}]
    bad = await api.post(f"/v1/journeys/{jid}/test", json=body, headers=h)
    assert bad.status_code == 422 and bad.json()["fields"][0]["field"] == "events[0].after"


async def test_a_keyed_draft_hears_only_events_of_its_key(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    """As the router delivers them (decision 13): an order of another cart, or of no cart,
    does not reach the run of cart A; an entry event without a cart id enters nothing."""
    api, h = api_client, admin_headers
    jid, run = f"tmk-{uuid.uuid4().hex[:6]}", uuid.uuid4().hex[:6]
    body = {"channel": "log", "body": "cart {{ event.properties.cart_id }}"}
    assert (await api.put(f"/v1/templates/{run}-remind", headers=h, json=body)).is_success
    keyed = draft(jid, run)
    keyed["entry"] = {"event": "cart.updated", "key": "event.properties.cart_id"}
    keyed["nodes"]["remind"]["next"] = "done"
    for unused in ("wait_day", "big", "crm"):
        del keyed["nodes"][unused]
    assert (await api.put(f"/v1/journeys/{jid}", json=keyed, headers=h)).is_success
    test = {
        "profile": {"profile_id": "ada"},
        "start": "2026-03-02T10:00:00Z",
        "entry_properties": {"cart_id": "A"},
        "events": [
            {"name": "order.completed", "after": "PT10M", "properties": {"cart_id": "B"}},
            {"name": "order.completed", "after": "PT20M"},
        ],
    }
    out = (await api.post(f"/v1/journeys/{jid}/test", json=test, headers=h)).json()
    assert [p["node"] for p in out["path"]] == ["wait_order", "remind", "done"], out
    assert out["steps"][0]["body"] == "cart A"

    test["events"].append(
        {"name": "order.completed", "after": "PT30M", "properties": {"cart_id": "A"}}
    )
    out = (await api.post(f"/v1/journeys/{jid}/test", json=test, headers=h)).json()
    assert [p["node"] for p in out["path"]] == ["wait_order", "done"], out

    test["entry_properties"] = {"total": 3}
    out = (await api.post(f"/v1/journeys/{jid}/test", json=test, headers=h)).json()
    assert out["entered"] is False and out["status"] == "not entered"
    assert out["reason"].startswith("a keyed journey's entry event needs its key: no key: "), out


def welcome(template: str, plan: str) -> dict[str, Any]:
    """A small definition with no id: it takes the journey's."""
    return {
        "name": "Inline test",
        "entry": {"event": "user.signed_up"},
        "start": "check",
        "nodes": {
            "check": {
                "type": "condition",
                "branches": [{"when": f"profile.attributes.plan == '{plan}'", "next": "hi"}],
                "otherwise": "done",
            },
            "hi": {"type": "message", "channel": "log", "template": template, "next": "done"},
            "done": {"type": "end"},
        },
    }


async def test_an_inline_definition_is_tested_without_being_saved(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    """The designer tests its working copy: never stored, checked like a draft, every
    problem named by its path under `definition`."""
    api, h = api_client, admin_headers
    jid, template = uid("tmi"), uid("tmi-hi")
    body = {"channel": "log", "body": "Hi {{ profile.attributes.name }}"}
    assert (await api.put(f"/v1/templates/{template}", headers=h, json=body)).is_success
    test: dict[str, Any] = {
        "profile": {"profile_id": "ada", "attributes": {"name": "Ada", "plan": "pro"}},
        "start": "2026-03-02T10:00:00Z",
        "definition": welcome(template, "pro"),
    }
    resp = await api.post(f"/v1/journeys/{jid}/test", json=test, headers=h)
    assert resp.status_code == 200, resp.text
    out = resp.json()
    assert [p["node"] for p in out["path"]] == ["check", "hi", "done"]
    assert [(v["node"], v["detail"], v["checks"]) for v in out["visits"]] == [
        ("check", "branch 0", [{"expression": "profile.attributes.plan == 'pro'", "value": True}]),
        ("hi", "sent test:hi:1", []),
        ("done", "completed", []),
    ]
    assert out["steps"][0]["body"] == "Hi Ada"
    assert (await api.get(f"/v1/journeys/{jid}", headers=h)).status_code == 404

    broken = welcome(template, "pro")
    broken["nodes"]["hi"]["next"] = "nowhere"
    broken["nodes"]["check"]["branches"][0]["when"] = "profile.attributes.plan =="
    resp = await api.post(f"/v1/journeys/{jid}/test", json={"definition": broken}, headers=h)
    assert resp.status_code == 422, resp.text
    assert resp.json()["fields"] == [
        {"field": "definition.nodes.hi.next", "message": "unknown node 'nowhere'"},
        {
            "field": "definition.nodes.check.branches[0].when",
            "message": "invalid expression: syntax error: unexpected 'end of template'",
        },
    ]
    other = {**welcome(template, "pro"), "id": "someone-else"}
    resp = await api.post(f"/v1/journeys/{jid}/test", json={"definition": other}, headers=h)
    assert resp.status_code == 422, resp.text
    assert resp.json()["fields"] == [
        {"field": "definition.id", "message": f"is 'someone-else', not {jid!r}"}
    ]


async def test_use_still_picks_the_draft_or_the_live_version(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    api, h = api_client, admin_headers
    jid, template = uid("tmu"), uid("tmu-hi")
    body = {"channel": "log", "body": "Hi"}
    assert (await api.put(f"/v1/templates/{template}", headers=h, json=body)).is_success
    assert (
        await api.put(f"/v1/journeys/{jid}", json=welcome(template, "pro"), headers=h)
    ).is_success
    assert (await api.post(f"/v1/journeys/{jid}/publish", headers=h)).status_code == 201
    assert (
        await api.put(f"/v1/journeys/{jid}", json=welcome(template, "free"), headers=h)
    ).is_success
    test: dict[str, Any] = {"profile": {"attributes": {"plan": "pro"}}}

    async def nodes(**extra: Any) -> list[str]:
        resp = await api.post(f"/v1/journeys/{jid}/test", json={**test, **extra}, headers=h)
        assert resp.status_code == 200, resp.text
        return [p["node"] for p in resp.json()["path"]]

    assert await nodes() == ["check", "done"]  # the draft wants plan free
    assert await nodes(use="live") == ["check", "hi", "done"]
    assert await nodes(use="live", definition=welcome(template, "free")) == ["check", "done"]

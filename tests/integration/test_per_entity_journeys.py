"""A journey message node with `per` (issue 17.4) on the real stack, through the public API:
one message per matching booking with the booking in its body, checked at validate and
publish, tried in test mode, and guarding the fields it reads against removal (409)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from temporalio.client import Client

from core.names import entity_message_id, journey_workflow_id
from tests.integration.campaign_helpers import uid
from tests.integration.helpers import eventually
from tests.integration.test_per_entity_campaigns import _types
from workers.worker import Runtime

pytestmark = pytest.mark.integration

BODY = (
    "{{ entity.key }}: {{ entity.fields.nights }} nights"
    "{% if entity.related.hotel %} in {{ entity.related.hotel.city }}{% endif %}"
    " ({{ journey.name }})"
)
CONFIRMED = [{"field": "status", "op": "eq", "value": "confirmed"}]


def journey(jid: str, tpl: str, per: dict[str, Any]) -> dict[str, Any]:
    remind = {"type": "message", "channel": "log", "template": tpl, "next": "done", "per": per}
    return {
        "id": jid,
        "name": "Stay reminders",
        "entry": {"event": "trip.planned"},
        "start": "remind",
        "nodes": {"remind": remind, "done": {"type": "end"}},
    }


async def _setup(api: httpx.AsyncClient, h: dict[str, str]) -> tuple[str, str, str]:
    """A booking type, a stored guest with three confirmed bookings and a held one."""
    _, booking = await _types(api, h)
    guest = uid("guest")
    resp = await api.put(f"/v1/profiles/{guest}", json={}, headers=h)
    assert resp.status_code in (200, 201), resp.text
    rows = [
        {"booking_id": f"{guest}-a", "nights": 2, "status": "confirmed", "hotel": "LYS"},
        {"booking_id": f"{guest}-b", "nights": 5, "status": "confirmed", "hotel": "NCE"},
        {"booking_id": f"{guest}-c", "nights": 1, "status": "confirmed"},
        {"booking_id": f"{guest}-d", "nights": 9, "status": "held", "hotel": "LYS"},
    ]
    resp = await api.post(
        f"/v1/entities/{booking}/batch",
        json={"records": [{**r, "guest": guest} for r in rows]},
        headers=h,
    )
    assert resp.status_code == 200, resp.text
    tpl = uid("stay-tpl")
    resp = await api.put(f"/v1/templates/{tpl}", json={"channel": "log", "body": BODY}, headers=h)
    assert resp.status_code in (200, 201), resp.text
    return booking, guest, tpl


async def test_a_published_journey_sends_one_message_per_matching_booking(
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    runtime: Runtime,
    temporal_client: Client,
) -> None:
    api, h = api_client, admin_headers
    booking, guest, tpl = await _setup(api, h)
    jid = uid("stays")

    # An unknown field or type is a problem with its path, at validate and at publish.
    wrong = journey(jid, tpl, {"entity": booking, "where": [{"field": "colour", "op": "exists"}]})
    resp = await api.post("/v1/journeys/validate", json=wrong, headers=h)
    assert resp.status_code == 200, resp.text
    problems = {p["path"]: p["message"] for p in resp.json()["problems"]}
    assert list(problems) == ["nodes.remind.per.where[0].field"], problems
    assert problems["nodes.remind.per.where[0].field"].startswith("unknown field; known: ")
    resp = await api.post(
        "/v1/journeys/validate", json=journey(jid, tpl, {"entity": "nope"}), headers=h
    )
    assert [p["path"] for p in resp.json()["problems"]] == ["nodes.remind.per.entity"]
    resp = await api.put(f"/v1/journeys/{jid}", json=wrong, headers=h)
    assert resp.status_code in (200, 201), resp.text  # a draft may be work in progress
    resp = await api.post(f"/v1/journeys/{jid}/publish", headers=h)
    assert resp.status_code == 422, resp.text
    assert "nodes.remind.per.where[0].field" in resp.text

    right = journey(jid, tpl, {"entity": booking, "where": CONFIRMED})
    resp = await api.post("/v1/journeys/validate", json=right, headers=h)
    assert resp.json()["valid"] is True, resp.text
    resp = await api.put(f"/v1/journeys/{jid}", json=right, headers=h)
    assert resp.status_code == 200, resp.text
    resp = await api.post(f"/v1/journeys/{jid}/publish", headers=h)
    assert resp.status_code == 201, resp.text

    desc, got = await _enter_and_finish(api, h, temporal_client, jid, guest)
    assert [(m["entity_type"], m["entity_key"], m["status"]) for m in got] == [
        (booking, f"{guest}-{k}", "sent") for k in "abc"
    ]
    assert [m["body"] for m in got] == [
        f"{guest}-a: 2 nights in Lyon (Stay reminders)",
        f"{guest}-b: 5 nights in Nice (Stay reminders)",
        f"{guest}-c: 1 nights (Stay reminders)",
    ]
    ids = [
        entity_message_id(desc.id, desc.run_id, "remind", 1, booking, f"{guest}-{k}") for k in "abc"
    ]
    assert [m["message_id"] for m in got] == ids

    path = await api.get(f"/v1/profiles/{guest}/journeys/{jid}", headers=h)
    assert path.status_code == 200, path.text
    steps = path.json()["runs"][0]["steps"]
    assert [s["node"] for s in steps] == ["remind", "done"]

    # A backtest over the stored event predicts the same three (today's records).
    resp = await api.post(f"/v1/journeys/{jid}/backtest", json={"since": "PT1H"}, headers=h)
    assert resp.status_code == 200, resp.text
    assert resp.json()["nodes"]["remind"]["messages"] == {"sent": 3}, resp.text

    # Removing a field (or the type) the live journey reads is refused, naming it.
    definition = await _definition(api, h, booking)
    without = {**definition, "fields": {k: v for k, v in definition["fields"].items()}}
    del without["fields"]["status"]
    resp = await api.put(f"/v1/entity-types/{booking}", json=without, headers=h)
    assert resp.status_code == 409, resp.text
    assert f"journey {jid!r} (version 1) reads {booking}.status" in resp.text
    resp = await api.delete(f"/v1/entity-types/{booking}", headers=h)
    assert resp.status_code == 409, resp.text
    assert f"journey {jid!r} (version 1) reads {booking}" in resp.text


async def test_test_mode_uses_the_stored_profiles_records_or_none(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    api, h = api_client, admin_headers
    booking, guest, tpl = await _setup(api, h)
    jid = uid("stays-test")
    definition = journey(jid, tpl, {"entity": booking, "where": CONFIRMED})
    resp = await api.put(f"/v1/journeys/{jid}", json=definition, headers=h)
    assert resp.status_code == 201, resp.text

    resp = await api.post(
        f"/v1/journeys/{jid}/test", json={"profile": {"profile_id": guest}}, headers=h
    )
    assert resp.status_code == 200, resp.text
    steps = resp.json()["steps"]
    assert steps[0]["kind"] == "records"
    assert steps[0]["keys"] == [f"{guest}-{k}" for k in "abc"]
    assert steps[0]["source"] == "the stored records of this profile"
    messages = [s for s in steps if s["kind"] == "message"]
    assert [m["entity"]["key"] for m in messages] == [f"{guest}-{k}" for k in "abc"]
    assert messages[0]["body"] == f"{guest}-a: 2 nights in Lyon (Stay reminders)"

    resp = await api.post(
        f"/v1/journeys/{jid}/test", json={"profile": {"profile_id": uid("ghost")}}, headers=h
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert [s["kind"] for s in body["steps"]] == ["records"]
    assert body["steps"][0]["source"] == "none: no profile with this id is stored"
    assert body["path"][0]["outcome"] == f"no matching {booking}"


async def test_removing_a_field_a_campaigns_per_reads_is_refused(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    api, h = api_client, admin_headers
    hotel, booking = await _types(api, h)
    campaign, tpl = uid("per-guard"), uid("tpl")
    resp = await api.put(f"/v1/templates/{tpl}", json={"channel": "log", "body": BODY}, headers=h)
    assert resp.status_code in (200, 201), resp.text
    per = {"entity": booking, "where": [{"field": "nights", "op": "gt", "value": 1}]}
    resp = await api.post(
        "/v1/campaigns",
        json={
            "id": campaign,
            "name": "Guarded",
            "kind": "triggered",
            "channel": "log",
            "template": tpl,
            "per": per,
        },
        headers=h,
    )
    assert resp.status_code == 201, resp.text
    definition = await _definition(api, h, booking)
    fields = {k: v for k, v in definition["fields"].items() if k != "nights"}
    resp = await api.put(
        f"/v1/entity-types/{booking}", json={**definition, "fields": fields}, headers=h
    )
    assert resp.status_code == 409, resp.text
    assert f"campaign {campaign!r} reads {booking}.nights" in resp.text
    fields = {k: v for k, v in definition["fields"].items() if k != "status"}
    resp = await api.put(
        f"/v1/entity-types/{booking}", json={**definition, "fields": fields}, headers=h
    )
    assert resp.status_code == 200, resp.text  # a field no reader reads still goes

    # The template reads `entity.related.hotel.city`: the hotel's city stays too.
    hotel_definition = await _definition(api, h, hotel)
    resp = await api.put(
        f"/v1/entity-types/{hotel}",
        json={**hotel_definition, "fields": {"code": {"type": "string"}}},
        headers=h,
    )
    assert resp.status_code == 409, resp.text
    assert f"campaign {campaign!r} reads {hotel}.city" in resp.text

    # So does a field read only in a fragment the template includes (any spelling).
    fragment = uid("stay-frag")
    body = {"body": "{{ entity['related']['hotel']['city'] }}"}
    resp = await api.put(f"/v1/fragments/{fragment}", json=body, headers=h)
    assert resp.status_code == 201, resp.text
    included = {"channel": "log", "body": f'{{% include "{fragment}" %}}'}
    resp = await api.put(f"/v1/templates/{tpl}", json=included, headers=h)
    assert resp.status_code == 200, resp.text
    resp = await api.put(
        f"/v1/entity-types/{hotel}",
        json={**hotel_definition, "fields": {"code": {"type": "string"}}},
        headers=h,
    )
    assert resp.status_code == 409, resp.text
    assert f"campaign {campaign!r} reads {hotel}.city" in resp.text


async def test_a_selection_through_the_hotel_sends_only_for_lyon_bookings(
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    runtime: Runtime,
    temporal_client: Client,
) -> None:
    """`hotel.city = Lyon` on a booking follows its hotel relation, as an audience rule
    would: of the guest's bookings at Lyon and Nice (and one without a hotel), only the
    Lyon ones get a message; and the journey then guards the hotel's city (409)."""
    api, h = api_client, admin_headers
    booking, guest, tpl = await _setup(api, h)
    hotel = (await _definition(api, h, booking))["relations"]["hotel"]["to"]
    jid = uid("lyon")
    lyon = [{"field": "hotel.city", "op": "eq", "value": "Lyon"}]
    resp = await api.put(
        f"/v1/journeys/{jid}", json=journey(jid, tpl, {"entity": booking, "where": lyon}), headers=h
    )
    assert resp.status_code == 201, resp.text
    resp = await api.post(f"/v1/journeys/{jid}/publish", headers=h)
    assert resp.status_code == 201, resp.text
    _, got = await _enter_and_finish(api, h, temporal_client, jid, guest)
    assert [(m["entity_key"], m["body"]) for m in got] == [
        (f"{guest}-a", f"{guest}-a: 2 nights in Lyon (Stay reminders)"),
        (f"{guest}-d", f"{guest}-d: 9 nights in Lyon (Stay reminders)"),
    ]

    # A hostile value is a value: in test mode it matches no hotel, and no SQL breaks.
    hostile = [{"field": "hotel.city", "op": "eq", "value": "Lyon' OR '1'='1"}]
    draft = journey(jid, tpl, {"entity": booking, "where": hostile})
    resp = await api.put(f"/v1/journeys/{jid}", json=draft, headers=h)
    assert resp.status_code == 200, resp.text
    resp = await api.post(
        f"/v1/journeys/{jid}/test", json={"profile": {"profile_id": guest}}, headers=h
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["steps"][0]["keys"] == [], resp.text
    bad = [{"field": 'hotel"; DROP TABLE x; --.city', "op": "eq", "value": "Lyon"}]
    resp = await api.post(
        "/v1/journeys/validate",
        json=journey(jid, tpl, {"entity": booking, "where": bad}),
        headers=h,
    )
    assert [p["path"] for p in resp.json()["problems"]] == ["nodes.remind.per.where[0].field"]

    # The live journey reads the hotel's city through the relation: it cannot go.
    resp = await api.put(
        f"/v1/entity-types/{hotel}",
        json={"fields": {"code": {"type": "string"}}, "primary_key": "code"},
        headers=h,
    )
    assert resp.status_code == 409, resp.text
    assert f"journey {jid!r} (version 1) reads {hotel}.city" in resp.text


async def _enter_and_finish(
    api: httpx.AsyncClient, h: dict[str, str], temporal: Client, jid: str, guest: str
) -> tuple[Any, list[dict[str, Any]]]:
    """The guest enters the journey and finishes it: its run, and its messages by key."""
    resp = await api.post(
        "/v1/events", json={"name": "trip.planned", "profile_id": guest}, headers=h
    )
    assert resp.status_code == 202, resp.text
    handle = temporal.get_workflow_handle(journey_workflow_id(jid, guest))
    assert await eventually(lambda: _result(handle), limit=60) == "completed"
    resp = await api.get("/v1/messages", params={"journey_id": jid}, headers=h)
    assert resp.status_code == 200, resp.text
    return await handle.describe(), sorted(resp.json()["items"], key=lambda m: m["entity_key"])


async def _definition(api: httpx.AsyncClient, h: dict[str, str], name: str) -> dict[str, Any]:
    body = (await api.get(f"/v1/entity-types/{name}", headers=h)).json()
    return {k: body[k] for k in ("fields", "primary_key", "relations")}


async def _result(handle: Any) -> str | None:
    try:
        return str(await asyncio.wait_for(handle.result(), 5))
    except Exception:
        return None

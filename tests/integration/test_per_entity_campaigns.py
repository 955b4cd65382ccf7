"""One message per booking (issue 17.4) on the real stack: its own values, exactly once."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
import pytest

from activities.campaign import CampaignActivities
from activities.channels import by_name
from activities.messages import MessageActivities
from campaigns.plan import campaign_message_id
from core.campaign_contracts import BatchInput, StartRunInput
from services.campaign_client import spec_of
from tests.integration.campaign_helpers import make_audience, make_template, uid, wait_run
from workers.worker import Runtime

pytestmark = pytest.mark.integration

BODY = (
    "{{ entity.key }} at {{ entity.related.hotel.city }} for {{ entity.fields.nights }} "
    "nights ({{ campaign.name }})"
)


async def _types(api: httpx.AsyncClient, h: dict[str, str]) -> tuple[str, str]:
    """A hotel type and a booking type related to the profile and to its hotel."""
    hotel, booking = uid("hotel").replace("-", "_"), uid("booking").replace("-", "_")
    resp = await api.put(
        f"/v1/entity-types/{hotel}",
        json={
            "fields": {"code": {"type": "string"}, "city": {"type": "string"}},
            "primary_key": "code",
        },
        headers=h,
    )
    assert resp.status_code == 201, resp.text
    definition = {
        "fields": {
            "booking_id": {"type": "string"},
            "nights": {"type": "number"},
            "status": {"type": "enum", "values": ["held", "confirmed"]},
        },
        "primary_key": "booking_id",
        "relations": {"guest": {"to": "profile"}, "hotel": {"to": hotel}},
    }
    resp = await api.put(f"/v1/entity-types/{booking}", json=definition, headers=h)
    assert resp.status_code == 201, resp.text
    resp = await api.post(
        f"/v1/entities/{hotel}/batch",
        json={"records": [{"code": "LYS", "city": "Lyon"}, {"code": "NCE", "city": "Nice"}]},
        headers=h,
    )
    assert resp.status_code == 200, resp.text
    return hotel, booking


async def _bookings(
    api: httpx.AsyncClient, h: dict[str, str], booking: str, rows: list[dict[str, Any]]
) -> None:
    resp = await api.post(f"/v1/entities/{booking}/batch", json={"records": rows}, headers=h)
    assert resp.status_code == 200, resp.text


async def _campaign(
    api: httpx.AsyncClient,
    h: dict[str, str],
    audience: str | None,
    template: str,
    booking: str,
    where: list[dict[str, Any]] | None = None,
) -> str:
    campaign = uid("stay")
    confirmed = [{"field": "status", "op": "eq", "value": "confirmed"}]
    per = {"entity": booking, "where": confirmed if where is None else where}
    resp = await api.post(
        "/v1/campaigns",
        json={
            "id": campaign,
            "name": "Your stay",
            "kind": "action" if audience else "triggered",
            "audience_id": audience,
            "channel": "log",
            "template": template,
            "per": per,
        },
        headers=h,
    )
    assert resp.status_code == 201, resp.text
    assert resp.json()["per"] == {**per, "relation": None, "limit": 10}
    return campaign


async def test_three_bookings_get_three_messages_and_a_rerun_sends_none_twice(
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    pool: asyncpg.Pool,
    runtime: Runtime,
) -> None:
    h = admin_headers
    hotel, booking = await _types(api_client, h)
    guest, nobody = uid("guest"), uid("nobody")
    audience = await make_audience(pool, [guest, nobody])
    await _bookings(
        api_client,
        h,
        booking,
        [
            {
                "booking_id": f"{guest}-a",
                "nights": 2,
                "status": "confirmed",
                "guest": guest,
                "hotel": "LYS",
            },
            {
                "booking_id": f"{guest}-b",
                "nights": 5,
                "status": "confirmed",
                "guest": guest,
                "hotel": "NCE",
            },
            {"booking_id": f"{guest}-c", "nights": 1, "status": "confirmed", "guest": guest},
            {
                "booking_id": f"{guest}-d",
                "nights": 9,
                "status": "held",
                "guest": guest,
                "hotel": "LYS",
            },
            {"booking_id": f"{nobody}-x", "nights": 3, "status": "held", "guest": nobody},
        ],
    )
    template = await make_template(
        pool,
        body="{{ entity.key }} for {{ entity.fields.nights }} nights ({{ campaign.name }})"
        "{% if entity.related.hotel %} at {{ entity.related.hotel.city }}{% endif %}",
    )
    campaign = await _campaign(api_client, h, audience, template, booking)
    resp = await api_client.post(f"/v1/campaigns/{campaign}/runs", json={}, headers=h)
    assert resp.status_code == 201, resp.text
    run = resp.json()["run_id"]
    body = await wait_run(api_client, h, campaign, run)
    assert body["status"] == "completed" and body["sent"] == 3 and body["skipped"] == {}, body
    rows = await pool.fetch(
        "SELECT message_id, profile_id, entity_type, entity_key, body, status, attempts "
        "FROM messages WHERE campaign_id = $1 ORDER BY entity_key",
        campaign,
    )
    assert [(r["profile_id"], r["entity_type"], r["entity_key"], r["status"]) for r in rows] == [
        (guest, booking, f"{guest}-a", "sent"),
        (guest, booking, f"{guest}-b", "sent"),
        (guest, booking, f"{guest}-c", "sent"),
    ]
    assert [r["body"] for r in rows] == [
        f"{guest}-a for 2 nights (Your stay) at Lyon",
        f"{guest}-b for 5 nights (Your stay) at Nice",
        f"{guest}-c for 1 nights (Your stay)",
    ]
    for r in rows:
        key = (booking, r["entity_key"])
        assert r["message_id"] == campaign_message_id(campaign, run, guest, entity=key)
    # The ledger says which booking each message was for.
    resp = await api_client.get(f"/v1/messages?campaign_id={campaign}", headers=h)
    assert resp.status_code == 200, resp.text
    listed = {(m["entity_type"], m["entity_key"]) for m in resp.json()["items"]}
    assert listed == {(booking, f"{guest}-{c}") for c in "abc"}

    # The batch again (a retry after a crash): it finds every booking's row, sends none twice.
    acts = CampaignActivities(pool, MessageActivities(pool, by_name()))
    row = await pool.fetchrow("SELECT * FROM campaigns WHERE campaign_id = $1", campaign)
    total = await pool.fetchval(
        "SELECT count(*) FROM campaign_run_members WHERE campaign_id = $1 AND run_id = $2",
        campaign,
        run,
    )
    batch = BatchInput(
        spec=spec_of(row),
        run_id=run,
        workflow_id=body["workflow_id"],
        first_seq=0,
        end_seq=total,
        now=datetime.now(UTC),
    )
    again = await acts.send_batch(batch)
    assert again.sent == 3 and again.processed == 2
    assert again.skipped == {f"no matching {booking}": 1}
    after = await pool.fetch(
        "SELECT entity_key, count(*) AS n, max(attempts) AS attempts FROM messages "
        "WHERE campaign_id = $1 GROUP BY entity_key ORDER BY entity_key",
        campaign,
    )
    assert [(r["entity_key"], r["n"], r["attempts"]) for r in after] == [
        (f"{guest}-{c}", 1, 2) for c in "abc"
    ]
    assert hotel  # the related type stays for the next test's names


async def test_a_selection_through_the_hotel_sends_only_for_lyon_bookings(
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    pool: asyncpg.Pool,
    runtime: Runtime,
) -> None:
    """`hotel.city = Lyon` follows each booking's hotel relation, as audience rules do."""
    h = admin_headers
    _, booking = await _types(api_client, h)
    guest = uid("guest")
    audience = await make_audience(pool, [guest])
    await _bookings(
        api_client,
        h,
        booking,
        [
            {"booking_id": f"{guest}-{k}", "nights": n, "status": "held", "guest": guest, **hotel}
            for k, n, hotel in [
                ("a", 1, {"hotel": "LYS"}),
                ("b", 2, {"hotel": "NCE"}),
                ("c", 3, {"hotel": "LYS"}),
                ("d", 4, {}),
            ]
        ],
    )
    template = await make_template(pool, body=BODY)
    lyon = [{"field": "hotel.city", "op": "eq", "value": "Lyon"}]
    campaign = await _campaign(api_client, h, audience, template, booking, lyon)
    resp = await api_client.post(f"/v1/campaigns/{campaign}/runs", json={}, headers=h)
    assert resp.status_code == 201, resp.text
    body = await wait_run(api_client, h, campaign, resp.json()["run_id"])
    assert body["status"] == "completed" and body["sent"] == 2, body
    rows = await pool.fetch(
        "SELECT entity_key, body FROM messages WHERE campaign_id = $1 ORDER BY entity_key",
        campaign,
    )
    assert [(r["entity_key"], r["body"]) for r in rows] == [
        (f"{guest}-a", f"{guest}-a at Lyon for 1 nights (Your stay)"),
        (f"{guest}-c", f"{guest}-c at Lyon for 3 nights (Your stay)"),
    ]


async def test_each_per_entity_message_counts_against_the_cap(
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    pool: asyncpg.Pool,
) -> None:
    """Cap 2 a day: the first two bookings (by key) go, the third is skipped by the cap."""
    h = admin_headers
    _, booking = await _types(api_client, h)
    guest = uid("capped")
    audience = await make_audience(pool, [guest])
    await _bookings(
        api_client,
        h,
        booking,
        [
            {"booking_id": f"{guest}-{c}", "nights": 1, "status": "confirmed", "guest": guest}
            for c in "cab"
        ],
    )
    template = await make_template(pool, body="{{ entity.key }}")
    campaign = await _campaign(api_client, h, audience, template, booking)
    row = await pool.fetchrow("SELECT * FROM campaigns WHERE campaign_id = $1", campaign)
    acts = CampaignActivities(pool, MessageActivities(pool, by_name()))
    spec, now = spec_of(row), datetime.now(UTC)
    cap = {"max_messages": 2, "window": "P1D"}
    resp = await api_client.put("/v1/frequency-caps/log", json=cap, headers=h)
    assert resp.status_code in (200, 201), resp.text
    try:
        await acts.start_run(StartRunInput(spec=spec, run_id="r1", workflow_id="w", now=now))
        batch = BatchInput(spec=spec, run_id="r1", workflow_id="w", first_seq=0, end_seq=1, now=now)
        result = await acts.send_batch(batch)
        rerun = await acts.send_batch(batch)
    finally:
        await api_client.delete("/v1/frequency-caps/log", headers=h)
    assert result.sent == 2 and result.skipped == {"frequency cap: 2 per 1d": 1}
    assert rerun.sent == 2 and rerun.skipped == {"frequency cap: 2 per 1d": 1}
    rows = await pool.fetch(
        "SELECT entity_key, status, reason FROM messages WHERE campaign_id = $1 "
        "ORDER BY entity_key",
        campaign,
    )
    assert [(r["entity_key"], r["status"], r["reason"]) for r in rows] == [
        (f"{guest}-a", "sent", None),
        (f"{guest}-b", "sent", None),
        (f"{guest}-c", "skipped", "frequency cap: 2 per 1d"),
    ]


async def test_a_triggered_campaign_sends_per_booking_too(
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    pool: asyncpg.Pool,
    runtime: Runtime,
) -> None:
    h = admin_headers
    _, booking = await _types(api_client, h)
    guest = uid("guest")
    await make_audience(pool, [guest])  # the profile
    rows = [
        {"booking_id": f"{guest}-{c}", "nights": n, "status": "confirmed", "guest": guest}
        for c, n in (("a", 4), ("b", 7))
    ]
    await _bookings(api_client, h, booking, rows)
    template = await make_template(pool, body="{{ entity.key }}: {{ entity.fields.nights }}")
    campaign = await _campaign(api_client, h, None, template, booking)
    resp = await api_client.post(
        f"/v1/campaigns/{campaign}/trigger", json={"profile_ids": [guest]}, headers=h
    )
    assert resp.status_code == 202, resp.text
    run = resp.json()["run_id"]
    body = await wait_run(api_client, h, campaign, run)
    assert body["status"] == "completed" and body["sent"] == 2, body
    found = await pool.fetch(
        "SELECT message_id, entity_key, body FROM messages WHERE campaign_id = $1 "
        "ORDER BY entity_key",
        campaign,
    )
    assert [(r["entity_key"], r["body"]) for r in found] == [
        (f"{guest}-a", f"{guest}-a: 4"),
        (f"{guest}-b", f"{guest}-b: 7"),
    ]
    for r in found:
        key = (booking, r["entity_key"])
        assert r["message_id"] == campaign_message_id(campaign, run, guest, entity=key)


@pytest.mark.parametrize(
    ("per", "path"),
    [
        ({"entity": "no_such_type"}, "per.entity"),
        (
            {"entity": "{booking}", "where": [{"field": "colour", "op": "eq", "value": 1}]},
            "per.where[0].field",
        ),
        ({"entity": "{hotel}"}, "per.entity"),
        (
            {"entity": "{booking}", "where": [{"field": "status", "op": "eq", "value": "x'; --"}]},
            "per.where[0].value",
        ),
        (
            {"entity": "{booking}", "where": [{"field": "hotel.stars", "op": "eq", "value": 3}]},
            "per.where[0].field",
        ),
        (
            {"entity": "{booking}", "where": [{"field": "hotel.city", "op": "gt", "value": 3}]},
            "per.where[0].value",
        ),
    ],
)
async def test_a_bad_selection_is_refused_naming_its_field(
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    pool: asyncpg.Pool,
    per: dict[str, Any],
    path: str,
) -> None:
    hotel, booking = await _types(api_client, admin_headers)
    audience = await make_audience(pool, [uid("p")])
    template = await make_template(pool)
    per = {**per, "entity": per["entity"].format(booking=booking, hotel=hotel)}
    resp = await api_client.post(
        "/v1/campaigns",
        json={
            "id": uid("bad"),
            "name": "Bad",
            "audience_id": audience,
            "channel": "log",
            "template": template,
            "per": per,
        },
        headers=admin_headers,
    )
    assert resp.status_code == 422, resp.text
    assert [e["field"] for e in resp.json()["fields"]] == [path], resp.text


async def test_per_is_refused_with_send_time(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str], pool: asyncpg.Pool
) -> None:
    """Send-time waves find a member's message by its per-profile id: not per entity yet."""
    _, booking = await _types(api_client, admin_headers)
    audience = await make_audience(pool, [uid("p")])
    resp = await api_client.post(
        "/v1/campaigns",
        json={
            "id": uid("timed"),
            "name": "Timed",
            "audience_id": audience,
            "channel": "log",
            "template": await make_template(pool),
            "per": {"entity": booking},
            "delivery": {"send_time": {"optimize": "opened", "within": "PT24H"}},
        },
        headers=admin_headers,
    )
    assert resp.status_code == 422, resp.text
    assert resp.json()["fields"] == [
        {"field": "per", "message": "per-entity sends do not take delivery.send_time (yet)"}
    ]

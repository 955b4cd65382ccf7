"""Send-time optimisation on the real stack: tracking events teach the engagement model, in
the profile's time zone, once per event; the API shows the habit and the send time it gives;
merging and erasing a profile carry its counts along."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import pytest

from journeys.nodes.buckets import bucket
from tests.integration.helpers import eventually, uid

pytestmark = pytest.mark.integration


def opened(profile: str, at: datetime, n: int) -> dict[str, object]:
    return {
        "event_id": f"open-{profile}-{n}",
        "name": "message.opened",
        "profile_id": profile,
        "timestamp": at.isoformat(),
        "properties": {"message_id": f"m-{n}"},
    }


async def counts(pool: asyncpg.Pool, profile: str) -> dict[tuple[str, int], int]:
    rows = await pool.fetch(
        "SELECT goal, hour, count FROM engagement_hours WHERE profile_id = $1", profile
    )
    return {(r["goal"], r["hour"]): r["count"] for r in rows}


async def test_opens_are_counted_at_the_local_hour_once_each_and_shown(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str], pool: asyncpg.Pool
) -> None:
    api, h = api_client, admin_headers
    profile = uid("sto")
    put = await api.put(f"/v1/profiles/{profile}", json={"timezone": "Asia/Tokyo"}, headers=h)
    assert put.status_code in (200, 201), put.text
    # 22:00 UTC on Tuesdays is 07:00 on Wednesdays in Tokyo: hour of week 2 * 24 + 7 = 55
    tuesday = datetime.now(UTC).replace(hour=22, minute=10, second=0, microsecond=0)
    tuesday -= timedelta(days=(tuesday.weekday() - 1) % 7 + 7)
    events = [opened(profile, tuesday - timedelta(weeks=w), w) for w in range(3)]
    r = await api.post("/v1/events/batch", json={"events": events}, headers=h)
    assert r.status_code == 202, r.text
    again = await api.post("/v1/events/batch", json={"events": events}, headers=h)
    assert again.json()["duplicates"] == 3
    assert await counts(pool, profile) == {("opened", 55): 3}, "each event counts once"

    shown = await api.get(f"/v1/profiles/{profile}/send-time?within=P7D", headers=h)
    assert shown.status_code == 200, shown.text
    body = shown.json()
    assert body["timezone"] == "Asia/Tokyo" and body["observations"] == 3
    # Three opens teach the hour of the day (07:00 in Tokyo); which day of the week is the
    # population's (the other tests' opens), until the profile has a history of its own.
    assert body["best_hours"][0]["hour"] == 7
    probabilities = body["probabilities"]
    assert len(probabilities) == 168
    assert probabilities[55] > 2 * probabilities[55 - 6], "07:00 beats 01:00 on that Wednesday"
    send_at = datetime.fromisoformat(body["next_send_at"])
    assert send_at.astimezone(UTC).hour == 22, "07:00 in Tokyo"

    bad = await api.get(f"/v1/profiles/{profile}/send-time?within=P30D", headers=h)
    assert bad.status_code == 422 and bad.json()["fields"][0]["field"] == "within"
    missing = await api.get(f"/v1/profiles/{uid('nobody')}/send-time", headers=h)
    assert missing.status_code == 404


async def test_a_merge_adds_the_counts_and_an_erasure_removes_them(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str], pool: asyncpg.Pool
) -> None:
    api, h = api_client, admin_headers
    known, anonymous = uid("known"), uid("anon")
    at = datetime(2026, 11, 30, 9, 30, tzinfo=UTC)  # a Monday: hour of week 9 in UTC
    for who in (known, anonymous):
        await api.put(f"/v1/profiles/{who}", json={}, headers=h)
        r = await api.post("/v1/events", json=opened(who, at, 1), headers=h)
        assert r.status_code == 202, r.text
    alias = {"type": "alias", "userId": known, "previousId": anonymous}
    r = await api.post("/v1/segment/alias", json=alias, headers=h)
    assert r.status_code == 200, r.text
    assert await counts(pool, known) == {("opened", 9): 2}
    assert await counts(pool, anonymous) == {}
    erased = await api.delete(f"/v1/profiles/{known}", headers=h)
    assert erased.status_code == 200, erased.text
    assert erased.json()["counts"]["engagement_hours"] == 1
    assert await counts(pool, known) == {}


def journey(jid: str, tpl: str, holdout: float) -> dict[str, object]:
    return {
        "id": jid,
        "name": "Send when they read",
        "entry": {"event": f"{jid}.go"},
        "start": "news",
        "nodes": {
            "news": {
                "type": "message",
                "channel": "log",
                "template": tpl,
                "send_time": {"optimize": "opened", "within": "PT6H", "holdout": holdout},
                "next": "done",
            },
            "done": {"type": "end"},
        },
    }


async def habit_at(api: httpx.AsyncClient, h: dict[str, str], profile: str, at: datetime) -> None:
    """Three weeks of opens in the hour of `at` (UTC profile)."""
    put = await api.put(f"/v1/profiles/{profile}", json={"timezone": "UTC"}, headers=h)
    assert put.status_code in (200, 201), put.text
    events = [opened(profile, at - timedelta(weeks=w), w) for w in range(1, 4)]
    r = await api.post("/v1/events/batch", json={"events": events}, headers=h)
    assert r.status_code == 202, r.text


async def ledger_row(api: httpx.AsyncClient, h: dict[str, str], profile: str) -> dict[str, object]:
    async def found() -> dict[str, object] | None:
        resp = await api.get("/v1/messages", params={"profile_id": profile}, headers=h)
        items = resp.json()["items"]
        return items[0] if items else None

    return await eventually(found)


async def test_a_journey_sends_at_the_profile_hour_holds_out_a_share_and_says_so(
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    pool: asyncpg.Pool,
    runtime: object,
) -> None:
    api, h = api_client, admin_headers
    jid, tpl = uid("sto-j"), uid("sto-t")
    r = await api.put(f"/v1/templates/{tpl}", json={"channel": "log", "body": "news"}, headers=h)
    assert r.is_success, r.text
    r = await api.put(f"/v1/journeys/{jid}", json=journey(jid, tpl, 0.5), headers=h)
    assert r.is_success, r.text
    r = await api.post(f"/v1/journeys/{jid}/publish", headers=h)
    assert r.is_success, r.text
    now = datetime.now(UTC)
    later = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=3)
    profiles = {uid("now"): now, uid("later"): later}
    holdouts = [uid("held") for _ in range(12)]  # about half of them are held out
    for profile, at in [*profiles.items(), *((p, later) for p in holdouts)]:
        await habit_at(api, h, profile, at)
        go = {"name": f"{jid}.go", "profile_id": profile}
        assert (await api.post("/v1/events", json=go, headers=h)).status_code == 202

    rows = {p: await ledger_row(api, h, p) for p in [*profiles, *holdouts]}
    reads_now, reads_later = list(profiles)
    groups = {
        p: await pool.fetchval("SELECT send_time FROM messages WHERE profile_id = $1", p)
        for p in rows
    }
    # Held out or not is a hash; whichever group each profile fell in, the ledger says it.
    later_rows = [rows[p] for p in [reads_later, *holdouts] if groups[p] != "holdout"]
    held_rows = [rows[p] for p in [reads_now, reads_later, *holdouts] if groups[p] == "holdout"]
    assert held_rows and later_rows, "with a 0.5 holdout, both groups occur among 14 profiles"
    for row in held_rows:
        assert row["status"] == "sent", "a held-out send goes at once"
    for row in later_rows:
        assert (row["status"], row["reason"]) == ("deferred", "send_time"), row
        assert datetime.fromisoformat(str(row["deferred_until"])) == later
    if groups[reads_now] == "optimised":
        assert rows[reads_now]["status"] == "sent", "its best hour is the current one"
    first = held_rows[0]
    read = {
        "event_id": f"read-{first['message_id']}",
        "name": "message.opened",
        "profile_id": first["profile_id"],
        "properties": {"message_id": first["message_id"]},
    }
    assert (await api.post("/v1/events", json=read, headers=h)).status_code == 202
    report = (await api.get(f"/v1/journeys/{jid}/report", headers=h)).json()
    [news] = [n for n in report["nodes"] if n["node"] == "news"]
    optimised, holdout = news["send_time"]
    sent_now = 1 if groups[reads_now] == "optimised" else 0
    assert (optimised["group"], optimised["sent"], optimised["opened"]) == (
        "optimised",
        sent_now,
        0,
    )
    assert (holdout["group"], holdout["sent"], holdout["opened"]) == ("holdout", len(held_rows), 1)
    assert holdout["open_rate"] == 1 / len(held_rows)
    r = await api.post(f"/v1/journeys/{jid}/stop", headers=h)
    assert r.status_code == 200, r.text


async def test_a_campaign_sends_each_member_in_the_wave_of_its_hour(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str], pool: asyncpg.Pool
) -> None:
    """The run's snapshot puts each member at its own best hour (one wave per hour), the
    hashed holdout at once; the messages sent say their group, and the run's report
    compares the groups' opens."""
    from activities.campaign import CampaignActivities
    from activities.channels import by_name
    from activities.messages import MessageActivities
    from core.campaign_contracts import BatchInput, StartRunInput
    from services.campaign_client import new_run_id, spec_of
    from tests.integration.campaign_helpers import make_audience, make_campaign, make_template

    now = datetime(2026, 12, 1, 6, 15, tzinfo=UTC)  # a Tuesday, 06:15 UTC
    people = [uid("cm") for _ in range(16)]
    audience = await make_audience(pool, people)
    for i, profile in enumerate(people):  # half read at 09:00, half at 13:00 (UTC)
        hour = 24 + (9 if i % 2 == 0 else 13)  # Tuesday
        await pool.execute(
            "INSERT INTO engagement_hours (profile_id, goal, hour, count)"
            " VALUES ($1, 'opened', $2, 40)",
            profile,
            hour,
        )
    tpl = await make_template(pool)
    delivery = {"send_time": {"optimize": "opened", "within": "PT12H", "holdout": 0.25}}
    campaign = await make_campaign(pool, audience, tpl, delivery=delivery)
    row = await pool.fetchrow("SELECT * FROM campaigns WHERE campaign_id = $1", campaign)
    spec = spec_of(row)
    assert spec.send_time is not None and spec.send_time.within_seconds == 43_200
    acts = CampaignActivities(pool, MessageActivities(pool, by_name()))
    run_id = new_run_id(now)
    started = await acts.start_run(
        StartRunInput(spec=spec, run_id=run_id, workflow_id="w", now=now)
    )
    members = await pool.fetch(
        "SELECT profile_id, due_at, send_time FROM campaign_run_members"
        " WHERE campaign_id = $1 AND run_id = $2 ORDER BY seq",
        campaign,
        run_id,
    )
    by_profile = {m["profile_id"]: m for m in members}
    nine, one = now.replace(hour=9, minute=0), now.replace(hour=13, minute=0)
    for i, profile in enumerate(people):
        m = by_profile[profile]
        if m["send_time"] == "holdout":
            assert m["due_at"] is None
        else:
            assert m["due_at"] == (nine if i % 2 == 0 else one), m
    held = [m for m in members if m["send_time"] == "holdout"]
    hashed = {p for p in people if bucket(f"{campaign}:{run_id}:{p}:send_time", [250, 750]) == 0}
    assert {m["profile_id"] for m in held} == hashed, "a quarter, by the documented hash"
    waves = [(w.due_at, w.end_seq - w.first_seq) for w in started.waves]
    assert [d for d, _ in waves] == ([None] if held else []) + [nine, one]
    first = started.waves[0]
    await acts.send_batch(
        BatchInput(
            spec=spec,
            run_id=run_id,
            workflow_id="w",
            first_seq=first.first_seq,
            end_seq=first.end_seq,
            now=now,
        )
    )
    groups = await pool.fetch(
        "SELECT send_time, count(*) AS n FROM messages WHERE campaign_id = $1 GROUP BY 1",
        campaign,
    )
    expected = [("holdout", len(held))] if held else [("optimised", len(members) // 2)]
    assert [(g["send_time"], g["n"]) for g in groups] == expected

    sent = await pool.fetch(
        "SELECT message_id, profile_id FROM messages WHERE campaign_id = $1 ORDER BY 1", campaign
    )
    first_open = opened(sent[0]["profile_id"], now, 0)
    first_open["properties"] = {"message_id": sent[0]["message_id"]}
    posted = await api_client.post("/v1/events", json=first_open, headers=admin_headers)
    assert posted.status_code == 202, posted.text
    run = await api_client.get(f"/v1/campaigns/{campaign}/runs/{run_id}", headers=admin_headers)
    assert run.status_code == 200, run.text
    group, n = expected[0]
    other = "optimised" if group == "holdout" else "holdout"
    assert run.json()["send_time"] == sorted(
        [
            {"group": group, "sent": n, "opened": 1, "clicked": 0}
            | {"open_rate": 1 / n, "click_rate": 0.0},
            {"group": other, "sent": 0, "opened": 0, "clicked": 0}
            | {"open_rate": None, "click_rate": None},
        ],
        key=lambda g: g["group"] != "optimised",
    )

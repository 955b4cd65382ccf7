"""POST /v1/journeys/{id}/backtest: stored events through a draft, a version or a file."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import ADMIN_KEY

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[3]

END = datetime.now(UTC).replace(microsecond=0)
# 09:00 UTC three days ago: the replayed sends come hours after their events, and from a
# start late in the evening they fell on the next day (the test failed after 23:00 UTC).
T0 = (END - timedelta(days=3)).replace(hour=9, minute=0, second=0)


def journey(jid: str, run: str) -> dict[str, Any]:
    return {
        "id": jid,
        "name": "Backtested cart",
        "entry": {"event": f"{run}.cart", "when": "event.properties.total > 0"},
        "exit_on": [f"{run}.order"],
        "start": "wait_order",
        "nodes": {
            "wait_order": {
                "type": "wait_for_event",
                "event": f"{run}.order",
                "timeout": "PT1H",
                "on_event": "done",
                "on_timeout": "remind",
            },
            "remind": {
                "type": "message",
                "channel": "email",
                "template": f"{run}-remind",
                "next": "big",
            },
            "big": {
                "type": "condition",
                "otherwise": "done",
                "branches": [{"when": "event.properties.total > 100", "next": "crm"}],
            },
            "crm": {"type": "action", "action": f"{run}-crm", "next": "done"},
            "done": {"type": "end"},
        },
    }


def event(run: str, name: str, profile: str, after: timedelta, **props: Any) -> dict[str, Any]:
    ts = (T0 + after).isoformat()
    return {"name": f"{run}.{name}", "profile_id": profile, "timestamp": ts, "properties": props}


@pytest.fixture
async def stored(api_client: httpx.AsyncClient, admin_headers: dict[str, str]) -> tuple[str, str]:
    """A journey draft, its template, and four profiles' events three days ago."""
    api, h, run = api_client, admin_headers, f"bt{uuid.uuid4().hex[:6]}"
    jid, p = f"{run}-cart", lambda name: f"{run}-{name}"
    template = {"channel": "email", "subject": "Cart", "body": "Hi", "topic": f"{run}-news"}
    assert (await api.put(f"/v1/templates/{run}-remind", json=template, headers=h)).is_success
    assert (await api.put(f"/v1/journeys/{jid}", json=journey(jid, run), headers=h)).is_success
    for name in ("small", "big", "buyer", "optout"):
        profile = {"email": f"{p(name)}@example.com"}
        made = await api.put(f"/v1/profiles/{p(name)}", json=profile, headers=h)
        assert made.is_success, made.text
    optout = [{"channel": "email", "topic": f"{run}-news", "status": "unsubscribed"}]
    put = await api.put(f"/v1/profiles/{p('optout')}/subscriptions", json=optout, headers=h)
    assert put.is_success, put.text
    events = [
        event(run, "cart", p("small"), timedelta(0), total=20),
        event(run, "cart", p("big"), timedelta(minutes=5), total=200),
        event(run, "cart", p("buyer"), timedelta(0), total=50),
        event(run, "order", p("buyer"), timedelta(minutes=20)),
        event(run, "cart", p("optout"), timedelta(0), total=30),
        event(run, "cart", p("never"), timedelta(0), total=0),
    ]
    resp = await api.post("/v1/events/batch", json={"events": events}, headers=h)
    assert resp.status_code == 202, resp.text
    return jid, run


@pytest.mark.parametrize("chunk", [500, 2], ids=["one-chunk-in-a-thread", "chunks-on-processes"])
async def test_the_draft_replayed_over_the_stored_events(
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    stored: tuple[str, str],
    chunk: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("services.backtest.CHUNK_PROFILES", chunk)
    jid, run = stored
    body = {"use": "draft", "end": END.isoformat(), "action_responses": {f"{run}-crm": {}}}
    resp = await api_client.post(f"/v1/journeys/{jid}/backtest", json=body, headers=admin_headers)
    assert resp.status_code == 200, resp.text
    got = resp.json()
    assert (got["source"], got["version"], got["start"]) == (
        "draft",
        0,
        (END - timedelta(days=30)).isoformat().replace("+00:00", "Z"),
    )
    assert (got["profiles"], got["profiles_entered"], got["entered"]) == (5, 4, 4)
    assert got["finished"] == {"completed": 4}
    assert got["nodes"]["remind"]["messages"] == {"sent": 2, "skipped": 1}
    assert got["nodes"]["remind"]["skipped"] == {f"unsubscribed from email topic '{run}-news'": 1}
    assert got["nodes"]["crm"]["entered"] == 1
    assert got["messages_per_profile"] == {"0": 3, "1": 2}
    assert got["messages_per_day"] == {"email": {T0.date().isoformat(): 2}}


async def test_an_unanswered_call_is_unknown_and_a_file_can_be_backtested(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str], stored: tuple[str, str]
) -> None:
    jid, run = stored
    candidate = journey(jid, run)
    candidate["nodes"]["remind"]["next"] = "crm"  # everyone reminded is called
    del candidate["nodes"]["big"]
    body = {"definition": candidate, "since": "P7D", "end": END.isoformat()}
    resp = await api_client.post(f"/v1/journeys/{jid}/backtest", json=body, headers=admin_headers)
    assert resp.status_code == 200, resp.text
    got = resp.json()
    assert got["source"] == "inline"
    assert got["finished"] == {"completed": 1, "unknown": 3}
    assert got["nodes"]["crm"]["unknown"] == 3


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"use": "draft", "version": 1}, "body"),
        ({"since": "P500D"}, "since"),
        ({"since": "-P1D"}, "since"),
        (
            {
                "definition": {
                    "id": "other",
                    "name": "x",
                    "entry": {"event": "e"},
                    "start": "d",
                    "nodes": {"d": {"type": "end"}},
                }
            },
            "definition.id",
        ),
        ({"definition": {"id": "x"}}, "definition.name"),
    ],
)
async def test_bad_requests_name_the_field(
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    stored: tuple[str, str],
    body: dict[str, Any],
    field: str,
) -> None:
    jid, _ = stored
    resp = await api_client.post(f"/v1/journeys/{jid}/backtest", json=body, headers=admin_headers)
    assert resp.status_code == 422, resp.text
    assert field in [f["field"] for f in resp.json()["fields"]], resp.json()


async def test_a_read_key_may_not_backtest(
    api_client: httpx.AsyncClient, make_key: Any, stored: tuple[str, str]
) -> None:
    jid, _ = stored
    reader = await make_key("read")
    resp = await api_client.post(f"/v1/journeys/{jid}/backtest", json={}, headers=reader)
    assert resp.status_code == 403


async def wayline(api_url: str, *args: str) -> tuple[int, str, str]:
    """The CLI as a process (asynchronously: the API it calls is served by this loop)."""
    env = {**os.environ, "WAYLINE_API_URL": api_url, "WAYLINE_API_KEY": ADMIN_KEY}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "cli.main",
        "backtest",
        *args,
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_the_cli_exits_1_naming_each_failed_assertion(
    api_url: str, stored: tuple[str, str], tmp_path: Path
) -> None:
    jid, run = stored
    path = tmp_path / "cart.json"
    path.write_text(json.dumps(journey(jid, run)))
    responses = tmp_path / "responses.json"
    responses.write_text(json.dumps({f"{run}-crm": {}}))
    common = [str(path), "--end", END.isoformat(), "--responses", str(responses)]
    held = ["--assert", "max_messages_per_profile <= 1", "--assert", "entered == 4"]
    code, out, err = await wayline(api_url, *common, *held)
    assert (code, err) == (0, ""), err
    assert "profiles 5, entered 4, messages 2 (at most 1 per profile)" in out
    broken = ["--assert", "nodes.remind.messages.sent < 0.2 * entered", "--assert", "entered > 0"]
    code, _, err = await wayline(api_url, *common, *broken)
    assert code == 1
    assert err == "assertion failed: nodes.remind.messages.sent < 0.2 * entered\n"
    code, _, err = await wayline(api_url, *common, "--assert", "nodes.nope.entered")
    assert code == 2
    assert err == "error: nodes.nope.entered: 'dict object' has no attribute 'nope'\n"


async def test_against_live_says_what_would_change(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str], stored: tuple[str, str]
) -> None:
    jid, run = stored
    action = {"url": "https://crm.example.com/notes", "method": "POST"}
    made = await api_client.put(f"/v1/actions/{run}-crm", json=action, headers=admin_headers)
    assert made.is_success, made.text
    published = await api_client.post(f"/v1/journeys/{jid}/publish", headers=admin_headers)
    assert published.is_success, published.text
    candidate = journey(jid, run)
    candidate["nodes"]["big"]["branches"][0]["when"] = "event.properties.total > 10"
    body = {
        "definition": candidate,
        "against_live": True,
        "end": END.isoformat(),
        "action_responses": {f"{run}-crm": {}},
    }
    resp = await api_client.post(f"/v1/journeys/{jid}/backtest", json=body, headers=admin_headers)
    assert resp.status_code == 200, resp.text
    changes = resp.json()["changes"]
    assert changes["live_version"] == published.json()["version"]
    assert changes["nodes"] == {"added": [], "removed": [], "changed": ["big"]}
    assert changes["live"]["nodes"]["crm"]["entered"] == 1
    assert changes["difference"]["nodes"]["crm"]["entered"] == 2  # small and optout now
    assert changes["profiles_differing"] == 2
    assert sorted(p["profile_id"] for p in changes["sample"]) == [f"{run}-optout", f"{run}-small"]

"""Journey lifecycle: drafts in JSON and YAML, validation, versions, stop, NOTIFY."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import asyncpg
import httpx
import pytest

import services.journeys
from core.names import NOTIFY_JOURNEYS
from core.settings import Settings
from journeys.model import NODE_TYPES
from tests.integration.helpers import uid

pytestmark = pytest.mark.integration

YAML = """
name: Welcome
entry:
  event: user.signed_up
start: hello
nodes:
  hello: {{type: message, channel: log, template: {tpl}, next: pause}}
  pause: {{type: wait, duration: {wait}, next: done}}
  done: {{type: end}}
"""


def definition(tpl: str, wait: str = "P1D") -> dict[str, Any]:
    return {
        "name": "Welcome",
        "entry": {"event": "user.signed_up"},
        "start": "hello",
        "nodes": {
            "hello": {"type": "message", "channel": "log", "template": tpl, "next": "pause"},
            "pause": {"type": "wait", "duration": wait, "next": "done"},
            "done": {"type": "end"},
        },
    }


async def put_template(
    api: httpx.AsyncClient, h: dict[str, str], name: str, channel: str = "log"
) -> None:
    resp = await api.put(
        f"/v1/templates/{name}", json={"channel": channel, "body": "Hello"}, headers=h
    )
    assert resp.status_code in (200, 201), resp.text


@pytest.fixture
async def journey_notes(settings: Settings) -> Any:
    """Payloads NOTIFYed on the journeys channel while the test runs."""
    conn = await asyncpg.connect(settings.database_url)
    got: asyncio.Queue[str] = asyncio.Queue()
    await conn.add_listener(NOTIFY_JOURNEYS, lambda *args: got.put_nowait(args[3]))
    try:
        yield got
    finally:
        await conn.close()


async def next_note(notes: asyncio.Queue[str], journey_id: str) -> str:
    while True:
        payload = await asyncio.wait_for(notes.get(), 5)
        if payload == journey_id:
            return payload


async def test_lifecycle(
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    journey_notes: asyncio.Queue[str],
) -> None:
    api, h = api_client, admin_headers
    jid, tpl = uid("welcome"), uid("tpl")

    resp = await api.put(f"/v1/journeys/{jid}", json=definition(tpl), headers=h)
    assert resp.status_code == 201, resp.text
    created = resp.json()
    assert created["journey_id"] == jid and created["status"] == "draft"
    assert created["draft"]["id"] == jid  # absent id is set from the path
    assert created["versions"] == [] and created["live_version"] is None

    # Publishing checks templates: missing, then on the wrong channel.
    resp = await api.post(f"/v1/journeys/{jid}/publish", headers=h)
    assert resp.status_code == 422, resp.text
    assert [f["field"] for f in resp.json()["fields"]] == ["nodes.hello.template"]
    await put_template(api, h, tpl, channel="webhook")
    resp = await api.post(f"/v1/journeys/{jid}/publish", headers=h)
    assert resp.status_code == 422, resp.text
    [problem] = resp.json()["fields"]
    assert problem["field"] == "nodes.hello.template" and "webhook" in problem["message"]
    await put_template(api, h, tpl)

    resp = await api.post(f"/v1/journeys/{jid}/publish", headers=h)
    assert resp.status_code == 201, resp.text
    assert resp.json() == {"journey_id": jid, "version": 1}
    assert await next_note(journey_notes, jid) == jid

    # Unchanged draft: the same version, 200.
    resp = await api.post(f"/v1/journeys/{jid}/publish", headers=h)
    assert resp.status_code == 200 and resp.json()["version"] == 1

    # A YAML draft with a change makes version 2.
    resp = await api.put(
        f"/v1/journeys/{jid}",
        content=YAML.format(tpl=tpl, wait="PT2H"),
        headers={**h, "Content-Type": "application/yaml"},
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["status"] == "live" and resp.json()["live_version"] == 1
    resp = await api.post(f"/v1/journeys/{jid}/publish", headers=h)
    assert resp.status_code == 201 and resp.json()["version"] == 2
    assert await next_note(journey_notes, jid) == jid

    got = (await api.get(f"/v1/journeys/{jid}", headers=h)).json()
    assert got["status"] == "live" and got["live_version"] == 2
    assert [v["version"] for v in got["versions"]] == [1, 2]
    assert got["draft"]["nodes"]["pause"]["duration"] == "PT2H"

    v1 = (await api.get(f"/v1/journeys/{jid}/versions/1", headers=h)).json()
    assert v1["version"] == 1 and v1["definition"]["nodes"]["pause"]["duration"] == "P1D"
    assert v1["definition"]["id"] == jid
    resp = await api.get(f"/v1/journeys/{jid}/versions/3", headers=h)
    assert resp.status_code == 404

    listed = (await api.get("/v1/journeys", headers=h)).json()["items"]
    mine = [j for j in listed if j["journey_id"] == jid]
    assert mine and mine[0]["status"] == "live" and mine[0]["live_version"] == 2

    # Stop: no new entries; stopping twice is fine; publishing again makes it live.
    resp = await api.post(f"/v1/journeys/{jid}/stop", headers=h)
    stopped = {"journey_id": jid, "status": "stopped", "terminated": 0}
    assert resp.status_code == 200 and resp.json() == stopped
    assert await next_note(journey_notes, jid) == jid
    assert (await api.post(f"/v1/journeys/{jid}/stop", headers=h)).status_code == 200
    got = (await api.get(f"/v1/journeys/{jid}", headers=h)).json()
    assert got["status"] == "stopped" and got["live_version"] == 2
    resp = await api.post(f"/v1/journeys/{jid}/publish", headers=h)
    assert resp.status_code == 200 and resp.json()["version"] == 2
    assert (await api.get(f"/v1/journeys/{jid}", headers=h)).json()["status"] == "live"


async def test_yaml_with_matching_id_and_content_types(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    jid = uid("yaml")
    text = f"id: {jid}\n" + YAML.format(tpl="t", wait="P1D")
    for ctype in ("application/x-yaml", "text/yaml; charset=utf-8"):
        resp = await api_client.put(
            f"/v1/journeys/{jid}", content=text, headers={**admin_headers, "Content-Type": ctype}
        )
        assert resp.status_code in (200, 201), resp.text
    assert (await api_client.get(f"/v1/journeys/{jid}", headers=admin_headers)).json()["draft"][
        "id"
    ] == jid


async def test_id_must_match_path(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    jid = uid("j")
    resp = await api_client.put(
        f"/v1/journeys/{jid}", json={**definition("t"), "id": "other"}, headers=admin_headers
    )
    assert resp.status_code == 422
    assert [f["field"] for f in resp.json()["fields"]] == ["id"]


async def test_invalid_definition_lists_every_problem(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    jid = uid("bad")
    bad = definition("t")
    bad["nodes"]["hello"]["next"] = "nowhere"
    bad["nodes"]["pause"]["duration"] = "one day"
    bad["nodes"]["big_cart"] = {
        "type": "condition",
        "branches": [{"when": "event.properties.total >", "next": "done"}],
        "otherwise": "done",
    }
    bad["nodes"]["hello"]["channel"] = "pigeon"
    bad["colour"] = "blue"
    resp = await api_client.put(f"/v1/journeys/{jid}", json=bad, headers=admin_headers)
    assert resp.status_code == 422, resp.text
    body = resp.json()
    assert body["error"] == "validation_error"
    fields = {f["field"] for f in body["fields"]}
    assert {
        "colour",
        "nodes.pause.duration",
        "nodes.hello.next",
        "nodes.hello.channel",
        "nodes.big_cart.branches[0].when",
    } <= fields
    assert all(f["message"] for f in body["fields"])
    resp = await api_client.get(f"/v1/journeys/{jid}", headers=admin_headers)
    assert resp.status_code == 404  # nothing saved


async def test_validate_without_saving(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    jid, tpl = uid("v"), uid("tpl")
    resp = await api_client.post(
        "/v1/journeys/validate", json={**definition(tpl), "id": jid}, headers=admin_headers
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert (body["valid"], body["problems"]) == (True, [])
    # The definition as publish stores it, defaults filled in, to compare with a version.
    assert body["definition"]["nodes"]["pause"] == {
        "type": "wait",
        "duration": "P1D",
        "until": None,
        "until_time": None,
        "next_weekday": None,
        "next": "done",
    }
    assert (body["definition"]["id"], body["definition"]["timeout"]) == (jid, "P90D")
    resp = await api_client.post(
        "/v1/journeys/validate",
        params={"check_templates": "true"},
        json={**definition(tpl), "id": jid},
        headers=admin_headers,
    )
    body = resp.json()
    assert (body["valid"], body["definition"]) == (False, None)
    assert [p["path"] for p in body["problems"]] == ["nodes.hello.template"]
    broken = definition(tpl)
    broken["start"] = "nowhere"
    resp = await api_client.post(
        "/v1/journeys/validate",
        content=f"id: {jid}\nname: [unclosed\n",
        headers={**admin_headers, "Content-Type": "application/yaml"},
    )
    assert resp.status_code == 400 and resp.json()["error"] == "malformed_yaml"
    resp = await api_client.post(
        "/v1/journeys/validate", json={**broken, "id": jid}, headers=admin_headers
    )
    assert resp.status_code == 200
    assert resp.json()["valid"] is False
    assert "start" in [p["path"] for p in resp.json()["problems"]]
    assert (await api_client.get(f"/v1/journeys/{jid}", headers=admin_headers)).status_code == 404


async def test_every_problem_of_a_broken_draft_names_its_field(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    """The designer attaches each problem to its node and field by its path alone."""
    jid, tpl = uid("vb"), uid("tpl")
    await put_template(api_client, admin_headers, tpl)
    broken = definition(tpl)
    broken["nodes"]["hello"]["template"] = f"{tpl}-missing"
    broken["nodes"]["pause"]["next"] = "nowhere"
    broken["nodes"]["check"] = {
        "type": "condition",
        "branches": [{"when": "event.properties.total >", "next": "done"}],
        "otherwise": "done",
    }
    broken["nodes"]["typeless"] = {"next": "done"}
    broken["entry"]["when"] = "profile.attributes.plan =="
    resp = await api_client.post(
        "/v1/journeys/validate",
        params={"check_templates": "true"},
        json={**broken, "id": jid},
        headers=admin_headers,
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["valid"] is False
    assert [(p["path"], p["message"]) for p in body["problems"]] == [
        ("nodes.typeless.type", f"required; one of {', '.join(NODE_TYPES)}"),
        ("nodes.pause.next", "unknown node 'nowhere'"),
        ("nodes.done", "unreachable from start"),  # pause no longer leads to it
        ("nodes.check", "unreachable from start"),
        ("nodes.typeless", "unreachable from start"),
        ("entry.when", "invalid expression: syntax error: unexpected 'end of template'"),
        (
            "nodes.check.branches[0].when",
            "invalid expression: syntax error: unexpected 'end of template'",
        ),
        ("nodes.hello.template", f"unknown template '{tpl}-missing'"),
    ]


async def test_malformed_yaml_and_json(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    jid = uid("m")
    resp = await api_client.put(
        f"/v1/journeys/{jid}",
        content="name: [unclosed\n",
        headers={**admin_headers, "Content-Type": "application/yaml"},
    )
    assert resp.status_code == 400, resp.text
    assert resp.json()["error"] == "malformed_yaml"
    assert resp.json()["message"].startswith("line 2:")
    resp = await api_client.put(
        f"/v1/journeys/{jid}",
        content='{"name": ',
        headers={**admin_headers, "Content-Type": "application/json"},
    )
    assert resp.status_code == 400, resp.text
    assert resp.json()["error"] == "malformed_json"
    bomb = "a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\n"  # aliases are refused outright
    resp = await api_client.put(
        f"/v1/journeys/{jid}", content=bomb, headers={**admin_headers, "Content-Type": "text/yaml"}
    )
    assert resp.status_code == 400 and "alias" in resp.json()["message"]
    assert (await api_client.get(f"/v1/journeys/{jid}", headers=admin_headers)).status_code == 404


async def test_publish_and_stop_unknown_or_unpublished(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    resp = await api_client.post(f"/v1/journeys/{uid('nope')}/publish", headers=admin_headers)
    assert resp.status_code == 404 and resp.json()["error"] == "not_found"
    jid = uid("draft")
    await api_client.put(f"/v1/journeys/{jid}", json=definition("t"), headers=admin_headers)
    resp = await api_client.post(f"/v1/journeys/{jid}/stop", headers=admin_headers)
    assert resp.status_code == 409 and resp.json()["error"] == "conflict"


async def test_scopes(api_client: httpx.AsyncClient, make_key: Any) -> None:
    reader = await make_key("read")
    resp = await api_client.put(f"/v1/journeys/{uid('j')}", json=definition("t"), headers=reader)
    assert resp.status_code == 403 and "journeys:write" in resp.json()["message"]
    assert (await api_client.get("/v1/journeys", headers=reader)).status_code == 200


async def test_json_schema(api_client: httpx.AsyncClient, admin_headers: dict[str, str]) -> None:
    resp = await api_client.get("/v1/schemas/journey.json", headers=admin_headers)
    assert resp.status_code == 200
    schema = resp.json()
    assert "nodes" in schema["properties"]
    assert (await api_client.get("/v1/schemas/journey.json")).status_code == 401


async def test_ingest_goes_on_while_a_definition_is_validated(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Validation runs off the event loop: events posted while a (slow) validation is under
    way are acknowledged before it ends. Counted, not timed: on the loop, not one would be."""
    slow = services.journeys.parse_definition

    def validating_for_a_second(*args: Any, **kwargs: Any) -> Any:
        time.sleep(1.0)  # stands in for the CPU a large definition costs
        return slow(*args, **kwargs)

    monkeypatch.setattr(services.journeys, "parse_definition", validating_for_a_second)
    jid, h = uid("slow"), admin_headers
    put = asyncio.create_task(
        api_client.put(f"/v1/journeys/{jid}", json=definition("t"), headers=h)
    )
    acknowledged = 0
    await asyncio.sleep(0.1)  # the PUT is in its validation now
    while not put.done():
        event = {"name": f"{jid}.tick", "profile_id": uid("p")}
        resp = await api_client.post("/v1/events", json=event, headers=h)
        assert resp.status_code == 202, resp.text
        acknowledged += not put.done()
    assert (await put).status_code == 201
    assert acknowledged >= 3


async def test_an_oversized_definition_is_refused_naming_its_bound(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    data = definition("t")
    data["nodes"]["hello"] = {
        "type": "condition",
        "branches": [{"when": f"event.properties.n == {i}", "next": "pause"} for i in range(101)],
        "otherwise": "pause",
    }
    resp = await api_client.put(f"/v1/journeys/{uid('big')}", json=data, headers=admin_headers)
    assert resp.status_code == 422, resp.text
    assert resp.json()["fields"] == [
        {"field": "nodes.hello.branches", "message": "101 items; at most 100"}
    ]


async def test_expression_names(api_client: httpx.AsyncClient, make_key: Any) -> None:
    """What the designer completes: the sandbox's roots, helpers and filters (read scope)."""
    reader = await make_key("read")
    resp = await api_client.get("/v1/schemas/expressions.json", headers=reader)
    assert resp.status_code == 200
    names = resp.json()
    assert [root["name"] for root in names["roots"]] == [
        "event", "events", "journey", "now", "profile", "received", "vars"
    ]  # fmt: skip
    assert names["roots"][0]["fields"] == [
        "event_id", "name", "profile_id", "timestamp", "properties"
    ]  # fmt: skip
    helpers = {h["name"]: h for h in names["helpers"]}
    assert helpers["hours"] == {
        "name": "hours",
        "doc": "`event.timestamp + hours(3)`.",
        "signature": "hours(n)",
    }
    filters = {f["name"]: f for f in names["filters"]}
    assert filters["lower"] == {
        "name": "lower",
        "doc": "Convert a value to lowercase.",
        "signature": "lower()",
    }
    assert "random" not in filters
    assert (await api_client.get("/v1/schemas/expressions.json")).status_code == 401

"""Journey reports and profile paths on the real servers: a journey with a condition, a
split, a message and a wait, driven through the HTTP API; counts checked against what each
profile did, waiting counts from Temporal visibility."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import httpx
import pytest
from temporalio.client import Client

from core.names import journey_workflow_id
from journeys.nodes.buckets import bucket
from tests.integration.helpers import eventually, uid
from workers.worker import Runtime

pytestmark = pytest.mark.integration
T = TypeVar("T")


async def publish_journey(
    api: httpx.AsyncClient, headers: dict[str, str], jid: str, nodes: dict[str, Any], **top: Any
) -> None:
    body = {
        "id": jid,
        "name": jid,
        "entry": {"event": f"{jid}.go"},
        "start": next(iter(nodes)),
        "nodes": nodes,
        **top,
    }
    resp = await api.put(f"/v1/journeys/{jid}", json=body, headers=headers)
    assert resp.status_code in (200, 201), resp.text
    resp = await api.post(f"/v1/journeys/{jid}/publish", headers=headers)
    assert resp.status_code in (200, 201), resp.text


async def send(
    api: httpx.AsyncClient, headers: dict[str, str], name: str, profile: str, **props: Any
) -> None:
    body = {"name": name, "profile_id": profile, "properties": props}
    resp = await api.post("/v1/events", json=body, headers=headers)
    assert resp.status_code == 202, resp.text


def branching(jid: str, tpl: str) -> dict[str, Any]:
    return {
        "check": {
            "type": "condition",
            "branches": [{"when": "event.properties.total > 100", "next": "big"}],
            "otherwise": "small",
        },
        "big": {"type": "message", "channel": "log", "template": tpl, "next": "hold"},
        "small": {
            "type": "split",
            "paths": [
                {"name": "a", "weight": 50, "next": "hold"},
                {"name": "b", "weight": 50, "next": "hold"},
            ],
        },
        "hold": {
            "type": "wait_for_event",
            "event": f"{jid}.done",
            "timeout": "PT120S",
            "on_event": "done",
            "on_timeout": "done",
        },
        "done": {"type": "end"},
    }


async def test_report_counts_a_journey_with_branches_and_waits(
    runtime: Runtime,
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    temporal_client: Client,
) -> None:
    jid, tpl = uid("rep"), uid("tpl")
    api, h = api_client, admin_headers
    resp = await api.put(f"/v1/templates/{tpl}", json={"channel": "log", "body": "hi"}, headers=h)
    assert resp.status_code in (200, 201), resp.text
    await publish_journey(api, h, jid, branching(jid, tpl), exit_on=[f"{jid}.stop"])
    p1, p2, p3, p4 = (uid("p") for _ in range(4))
    totals = {p1: 150, p2: 50, p3: 20, p4: 200}
    for profile, total in totals.items():
        await send(api, h, f"{jid}.go", profile, total=total)

    async def report(**params: Any) -> dict[str, Any]:
        resp = await api.get(f"/v1/journeys/{jid}/report", params=params, headers=h)
        assert resp.status_code == 200, resp.text
        return {n["node"]: n for n in resp.json()["nodes"]} | {"_": resp.json()}

    # all four rest at `hold`: the step rows were written when they came to rest
    await eventually(lambda: _at(report, "hold", entered=4, waiting=4))
    await send(api, h, f"{jid}.done", p1)
    await send(api, h, f"{jid}.done", p2)
    await send(api, h, f"{jid}.stop", p3)
    for profile, expected in ((p1, "completed"), (p2, "completed"), (p3, "exited")):
        handle = temporal_client.get_workflow_handle(journey_workflow_id(jid, profile))
        assert await asyncio.wait_for(handle.result(), 60) == expected
    nodes = await eventually(lambda: _at(report, "hold", waiting=1), limit=30)
    nodes = await report(goal=f"{jid}.done")
    counts = ("entered", "exited", "exit_criteria", "errored", "timed_out")
    assert {k: nodes["check"][k] for k in counts} == dict(zip(counts, [4, 4, 0, 0, 0], strict=True))
    assert {k: nodes["hold"][k] for k in counts} == dict(zip(counts, [4, 2, 1, 0, 0], strict=True))
    assert nodes["hold"]["waiting"] == 1
    assert (nodes["big"]["entered"], nodes["small"]["entered"], nodes["done"]["entered"]) == (
        2,
        2,
        2,
    )
    assert nodes["big"]["messages"]["sent"] == 2 and nodes["big"]["messages"]["failed"] == 0
    paths = {p["path"]: p for p in nodes["small"]["paths"]}
    taken = {profile: "ab"[bucket(f"{jid}|{profile}|small", [50, 50])] for profile in (p2, p3)}
    for name in "ab":
        assert paths[name]["profiles"] == sum(1 for t in taken.values() if t == name)
    assert paths[taken[p2]]["converted"] == 1, "p2 had the goal event after its path"
    assert nodes["_"]["entries"] == {"active": 1, "completed": 2, "exited": 1}
    # a stop with terminate: the waiting profile leaves `hold` by the stop
    resp = await api.post(f"/v1/journeys/{jid}/stop", params={"terminate": "true"}, headers=h)
    assert resp.status_code == 200 and resp.json()["terminated"] == 1, resp.text
    nodes = await report()
    assert (nodes["hold"]["entered"], nodes["hold"]["exit_criteria"]) == (4, 2)
    assert nodes["_"]["entries"] == {"completed": 2, "exited": 2}
    await eventually(lambda: _at(report, "hold", waiting=0), limit=30)
    # the profile path: every node, the branch and why, the message sent
    resp = await api.get(f"/v1/profiles/{p1}/journeys/{jid}", headers=h)
    assert resp.status_code == 200, resp.text
    run = resp.json()["runs"][0]
    assert [(s["node"], s["outcome"], s["detail"]) for s in run["steps"]] == [
        ("check", "exited", "branch 0"),
        ("big", "exited", f"sent {run['steps'][1]['message']['message_id']}"),
        ("hold", "exited", f"event {jid}.done"),
        ("done", "exited", "completed"),
    ]
    assert run["steps"][0]["checks"] == [
        {"expression": "event.properties.total > 100", "value": True}
    ]
    assert run["steps"][1]["message"]["status"] == "sent"
    assert run["status"] == "completed" and all(s["left_at"] for s in run["steps"])
    resp = await api.get(f"/v1/profiles/{p3}/journeys/{jid}", headers=h)
    steps = resp.json()["runs"][0]["steps"]
    assert steps[0]["checks"] == [{"expression": "event.properties.total > 100", "value": False}]
    assert (steps[1]["node"], steps[1]["detail"]) == ("small", f"path {taken[p3]}")
    assert steps[1]["checks"][0]["expression"].startswith(f"sha256('{jid}|{p3}|small')")
    assert (steps[2]["node"], steps[2]["outcome"]) == ("hold", "exit_criteria")


async def _at(report: Callable[[], Awaitable[dict[str, Any]]], node: str, **want: int) -> bool:
    got = (await report())[node]
    return all(got[k] == v for k, v in want.items())


async def test_report_and_path_errors_name_the_field(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str], make_key: Any
) -> None:
    jid = uid("rep-none")
    resp = await api_client.get(f"/v1/journeys/{jid}/report", headers=admin_headers)
    assert resp.status_code == 404
    resp = await api_client.get(f"/v1/profiles/{uid('p')}/journeys/{jid}", headers=admin_headers)
    assert resp.status_code == 404
    resp = await api_client.get(f"/v1/journeys/{jid}/report?version=0", headers=admin_headers)
    assert resp.status_code == 422 and resp.json()["fields"][0]["field"] == "version"
    resp = await api_client.get(f"/v1/journeys/{jid}/report")
    assert resp.status_code == 401
    writer = await make_key("events:write")
    resp = await api_client.get("/v1/alerts", headers=writer)
    assert resp.status_code == 403

"""Keyed journeys (decision 13) on the real stack, through the public HTTP API: one profile
with two carts is in the abandoned-cart journey twice, and each cart finishes on its own."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import asyncpg
import httpx
import pytest
from temporalio.client import Client

from core.metrics import JOURNEY_ENTRIES
from core.names import STATE_QUERY, journey_workflow_id
from journeys.runtime import JourneyState
from tests.integration.helpers import eventually
from workers.worker import Runtime

pytestmark = pytest.mark.integration

JOURNEY_YAML = """
id: {jid}
name: Abandoned cart, per cart
entry:
  event: cart.updated
  key: event.properties.cart_id
reentry: {{mode: never}}
exit_on: [cart.emptied]
timeout: P30D
start: wait_order
nodes:
  wait_order:
    type: wait_for_event
    event: order.completed
    timeout: PT4S
    on_event: done
    on_timeout: remind
  remind: {{type: message, channel: log, template: {tpl}, next: done}}
  done: {{type: end}}
"""


class Api:
    def __init__(self, client: httpx.AsyncClient, headers: dict[str, str]) -> None:
        self.client, self.headers = client, headers

    async def send(self, pid: str, name: str, **props: Any) -> None:
        body = {"name": name, "profile_id": pid, "properties": props}
        resp = await self.client.post("/v1/events", json=body, headers=self.headers)
        assert resp.status_code == 202, resp.text

    async def runs(self, pid: str, jid: str) -> list[dict[str, Any]]:
        resp = await self.client.get(f"/v1/profiles/{pid}/journeys", headers=self.headers)
        assert resp.status_code == 200, resp.text
        return [r for r in resp.json()["items"] if r["journey_id"] == jid]

    async def messages(self, pid: str, jid: str) -> list[dict[str, Any]]:
        params = {"profile_id": pid, "journey_id": jid}
        resp = await self.client.get("/v1/messages", params=params, headers=self.headers)
        assert resp.status_code == 200, resp.text
        items: list[dict[str, Any]] = resp.json()["items"]
        return items

    async def publish(self, jid: str, tpl: str) -> None:
        body = {"channel": "log", "body": "cart {{ event.properties.cart_id }} is waiting"}
        resp = await self.client.put(f"/v1/templates/{tpl}", json=body, headers=self.headers)
        assert resp.status_code in (200, 201), resp.text
        resp = await self.client.put(
            f"/v1/journeys/{jid}",
            content=JOURNEY_YAML.format(jid=jid, tpl=tpl),
            headers={**self.headers, "Content-Type": "application/yaml"},
        )
        assert resp.status_code in (200, 201), resp.text
        resp = await self.client.post(f"/v1/journeys/{jid}/publish", headers=self.headers)
        assert resp.status_code in (200, 201), resp.text


def by_key(runs: list[dict[str, Any]]) -> dict[str | None, list[str]]:
    found: dict[str | None, list[str]] = {}
    for run in runs:
        found.setdefault(run["key"], []).append(run["status"])
    return found


async def test_two_carts_of_one_profile_each_finish_their_own_journey(
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    runtime: Runtime,
    temporal_client: Client,
) -> None:
    api = Api(api_client, admin_headers)
    jid, tpl, pid = (f"{p}-{uuid.uuid4().hex[:8]}" for p in ("kcart", "kt", "kp"))
    await api.publish(jid, tpl)
    no_key = JOURNEY_ENTRIES.labels(jid, "no_key")

    await api.send(pid, "cart.updated", cart_id="A", total=30)
    await api.send(pid, "cart.updated", cart_id="B", total=70)
    await api.send(pid, "cart.updated", total=5)  # no cart id: enters no instance

    async def both_waiting() -> list[dict[str, Any]] | None:
        runs = await api.runs(pid, jid)
        waiting = [r for r in runs if r["current_node"] == "wait_order"]
        return runs if len(waiting) == 2 else None

    runs = await eventually(both_waiting, limit=30)
    assert sorted(r["key"] for r in runs) == ["A", "B"]
    for run in runs:
        assert run["workflow_id"] == f"journey:{jid}:{pid}:{run['key']}"
        assert run["status"] == "active" and run["state_error"] is None
    a = temporal_client.get_workflow_handle(journey_workflow_id(jid, pid, "A"))
    b = temporal_client.get_workflow_handle(journey_workflow_id(jid, pid, "B"))
    state = await a.query(STATE_QUERY, result_type=JourneyState)
    assert state.node == "wait_order" and state.entry_event.properties["cart_id"] == "A"
    await eventually(lambda: _counted(no_key, 1))  # where skipped entries are counted
    assert await _unkeyed_absent(temporal_client, jid, pid)

    # An order without the key reaches no instance; the order of cart A ends only A's.
    await api.send(pid, "order.completed", order_id="o-0")
    await api.send(pid, "order.completed", cart_id="A", order_id="o-1")
    assert await asyncio.wait_for(a.result(), 30) == "completed"
    assert await asyncio.wait_for(b.result(), 30) == "completed"
    assert [m["body"] for m in await api.messages(pid, jid)] == ["cart B is waiting"]

    path = await api_client.get(f"/v1/profiles/{pid}/journeys/{jid}", headers=admin_headers)
    assert path.status_code == 200, path.text
    steps = {r["key"]: [s["node"] for s in r["steps"]] for r in path.json()["runs"]}
    assert steps == {"A": ["wait_order", "done"], "B": ["wait_order", "remind", "done"]}

    # Re-entry (never) per key: cart A may not come back, a new cart C enters.
    await api.send(pid, "cart.updated", cart_id="A", total=31)
    await api.send(pid, "cart.updated", cart_id="C", total=12)

    async def c_waiting() -> dict[str | None, list[str]] | None:
        runs = await api.runs(pid, jid)
        return by_key(runs) if any(r["current_node"] == "wait_order" for r in runs) else None

    assert await eventually(c_waiting, limit=30) == {
        "A": ["completed"],
        "B": ["completed"],
        "C": ["active"],
    }
    second_a = await asyncio.wait_for(a.result(), 30)  # the latest run of A's id
    assert second_a.startswith("not entered: reentry never"), second_a

    # exit_on matches per key too; then stop with terminate ends what is left, per instance.
    await api.send(pid, "cart.updated", cart_id="D", total=1)
    d = temporal_client.get_workflow_handle(journey_workflow_id(jid, pid, "D"))
    await eventually(lambda: _running(d))
    await api.send(pid, "cart.emptied", cart_id="D")
    assert await asyncio.wait_for(d.result(), 30) == "exited"
    resp = await api_client.post(
        f"/v1/journeys/{jid}/stop", params={"terminate": "true"}, headers=admin_headers
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["terminated"] == 1  # cart C's instance
    final = by_key(await api.runs(pid, jid))
    assert final == {"A": ["completed"], "B": ["completed"], "C": ["exited"], "D": ["exited"]}

    resp = await api_client.get(
        f"/v1/profiles/{pid}/timeline",
        params={"kind": ["journey_entered", "journey_exited"]},
        headers=admin_headers,
    )
    assert resp.status_code == 200, resp.text
    # Only this journey's: other tests' live journeys may enter on cart.updated too.
    items = [i for i in resp.json()["items"] if i["data"].get("journey_id") == jid]
    keys = [(i["kind"], i["data"]["key"]) for i in items]
    assert sorted(k for kind, k in keys if kind == "journey_entered") == ["A", "B", "C", "D"]
    assert sorted(k for kind, k in keys if kind == "journey_exited") == ["A", "B", "C", "D"]


async def _counted(counter: Any, n: int) -> bool:
    return bool(counter._value.get() == n)


async def _unkeyed_absent(client: Client, jid: str, pid: str) -> bool:
    try:
        await client.get_workflow_handle(journey_workflow_id(jid, pid)).describe()
    except Exception:
        return True
    return False


async def _running(handle: Any) -> bool:
    try:
        desc = await handle.describe()
    except Exception:
        return False
    return bool(desc.status is not None and desc.status.name == "RUNNING")


async def test_a_jump_enters_the_instance_of_the_key_it_carries(
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    runtime: Runtime,
    temporal_client: Client,
    pool: asyncpg.Pool,
) -> None:
    api = Api(api_client, admin_headers)
    source, target, carrier, keyless = (
        f"{p}-{uuid.uuid4().hex[:8]}" for p in ("ksrc", "ktgt", "kp", "kq")
    )
    for jid, entry, nodes in (
        (target, {"event": "cart.updated", "key": "event.properties.cart_id"}, {}),
        (
            source,
            {"event": "cart.seen"},
            {"hop": {"type": "jump", "journey": target, "next": "done"}},
        ),
    ):
        defn = {
            "id": jid,
            "name": jid,
            "entry": entry,
            "start": next(iter(nodes), "done"),
            "nodes": {**nodes, "done": {"type": "end"}},
        }
        resp = await api_client.put(f"/v1/journeys/{jid}", json=defn, headers=admin_headers)
        assert resp.status_code in (200, 201), resp.text
        resp = await api_client.post(f"/v1/journeys/{jid}/publish", headers=admin_headers)
        assert resp.status_code in (200, 201), resp.text

    await api.send(carrier, "cart.seen", cart_id="A:1")
    await api.send(keyless, "cart.seen")
    entered = temporal_client.get_workflow_handle(journey_workflow_id(target, carrier, "A%3A1"))
    assert await eventually(lambda: _running_or_done(entered))
    assert await asyncio.wait_for(entered.result(), 30) == "completed"

    async def hops() -> dict[str, str] | None:
        """How each source run left its jump node, from the step ledger."""
        rows = await pool.fetch(
            "SELECT e.profile_id, s.detail FROM journey_steps s JOIN journey_entries e "
            "USING (run_id) WHERE e.journey_id = $1 AND s.node_id = 'hop' "
            "AND s.left_at IS NOT NULL",
            source,
        )
        return {r["profile_id"]: r["detail"] for r in rows} if len(rows) == 2 else None

    left = await eventually(hops)
    assert left[carrier] == f"jumped to {target}", left
    assert left[keyless].startswith(f"jump to {target} failed: journey '{target}' is keyed"), left
    rows = await pool.fetch(
        "SELECT profile_id, entry_key FROM journey_entries WHERE journey_id = $1", target
    )
    assert [(r["profile_id"], r["entry_key"]) for r in rows] == [(carrier, "A%3A1")]


async def _running_or_done(handle: Any) -> bool:
    try:
        await handle.describe()
    except Exception:
        return False
    return True

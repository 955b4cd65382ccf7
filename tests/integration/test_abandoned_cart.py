"""End to end through the public HTTP API only: the reference abandoned-cart journey."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.integration.helpers import eventually

pytestmark = pytest.mark.integration

JOURNEY_YAML = """
id: {jid}
name: Abandoned cart recovery
entry:
  event: cart.updated
  when: "event.properties.total > 0"
reentry: {{mode: never}}
exit_on: [order.completed]
timeout: P30D
start: wait_order
nodes:
  wait_order:
    type: wait_for_event
    event: order.completed
    timeout: PT2S
    on_event: done
    on_timeout: remind
  remind: {{type: message, channel: log, template: {tpl}-reminder, next: wait_day}}
  wait_day: {{type: wait, duration: PT1S, next: big_cart}}
  big_cart:
    type: condition
    branches: [{{when: "event.properties.total > 100", next: sms_coupon}}]
    otherwise: done
  sms_coupon: {{type: message, channel: log, template: {tpl}-coupon, next: done}}
  done: {{type: end}}
"""


async def messages_for(
    api: httpx.AsyncClient, headers: dict[str, str], profile: str, journey: str
) -> list[dict[str, Any]]:
    resp = await api.get(
        "/v1/messages", params={"profile_id": profile, "journey_id": journey}, headers=headers
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    return body["items"] if isinstance(body, dict) else body


async def journey_status(
    api: httpx.AsyncClient, headers: dict[str, str], profile: str, journey: str
) -> str | None:
    resp = await api.get(f"/v1/profiles/{profile}/journeys", headers=headers)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    rows = body["items"] if isinstance(body, dict) else body
    mine = [r for r in rows if r["journey_id"] == journey]
    return mine[0]["status"] if mine else None


async def test_abandoned_cart_end_to_end(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str], runtime: object
) -> None:
    api, h = api_client, admin_headers
    jid, tpl = f"cart-{uuid.uuid4().hex[:8]}", f"t{uuid.uuid4().hex[:6]}"
    for name, body in (
        (
            f"{tpl}-reminder",
            "Hi {{ profile.attributes.first_name }}, "
            "your cart of {{ event.properties.total }} is waiting",
        ),
        (f"{tpl}-coupon", "Here is 10% off, {{ profile.attributes.first_name }}"),
    ):
        resp = await api.put(
            f"/v1/templates/{name}", json={"channel": "log", "body": body}, headers=h
        )
        assert resp.status_code in (200, 201), resp.text
    yaml_headers = {**h, "Content-Type": "application/yaml"}
    resp = await api.put(
        f"/v1/journeys/{jid}", content=JOURNEY_YAML.format(jid=jid, tpl=tpl), headers=yaml_headers
    )
    assert resp.status_code in (200, 201), resp.text
    resp = await api.post(f"/v1/journeys/{jid}/publish", headers=h)
    assert resp.status_code in (200, 201), resp.text
    assert resp.json()["version"] == 1

    big, small, buyer = (f"p-{uuid.uuid4().hex[:8]}" for _ in range(3))
    for pid, name in ((big, "Ada"), (small, "Bob"), (buyer, "Cy")):
        resp = await api.put(
            f"/v1/profiles/{pid}", json={"attributes": {"first_name": name}}, headers=h
        )
        assert resp.status_code in (200, 201), resp.text

    async def send(pid: str, name: str, **props: Any) -> None:
        resp = await api.post(
            "/v1/events", json={"name": name, "profile_id": pid, "properties": props}, headers=h
        )
        assert resp.status_code == 202, resp.text

    await send(big, "cart.updated", total=150)
    await send(small, "cart.updated", total=20)
    await send(buyer, "cart.updated", total=500)
    await send(buyer, "order.completed", order="o-1")

    done = await eventually(lambda: _all_done(api, h, jid, (big, small, buyer)), limit=45)
    assert done == {big: "completed", small: "completed", buyer: "completed"}

    big_msgs = await messages_for(api, h, big, jid)
    assert sorted(m["template"] for m in big_msgs) == sorted([f"{tpl}-coupon", f"{tpl}-reminder"])
    reminder = next(m for m in big_msgs if m["template"] == f"{tpl}-reminder")
    assert reminder["body"] == "Hi Ada, your cart of 150 is waiting"
    assert reminder["status"] == "sent" and reminder["node_id"] == "remind"
    assert reminder["version"] == 1
    small_msgs = await messages_for(api, h, small, jid)
    assert [m["template"] for m in small_msgs] == [f"{tpl}-reminder"]
    assert await messages_for(api, h, buyer, jid) == []


async def _all_done(
    api: httpx.AsyncClient, h: dict[str, str], jid: str, profiles: tuple[str, ...]
) -> dict[str, str] | None:
    statuses = {p: await journey_status(api, h, p, jid) for p in profiles}
    return statuses if all(s not in (None, "active") for s in statuses.values()) else None

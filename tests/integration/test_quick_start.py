"""The README's quick start, request by request through the API: its journey
(examples/quick-start.yaml) waits seconds, so both messages are rendered within a minute."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pytest

from tests.integration.helpers import eventually
from tests.integration.test_abandoned_cart import messages_for

pytestmark = pytest.mark.integration
EXAMPLE = Path(__file__).parent.parent.parent / "examples" / "quick-start.yaml"


async def test_quick_start_renders_both_messages(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str], runtime: object
) -> None:
    api, h = api_client, admin_headers
    json_h = {**h, "Content-Type": "application/json"}
    for name, body in (
        ("cart-reminder", "Hi {{ profile.attributes.first_name }}, your cart is waiting"),
        ("coupon-sms", "10% off today"),
    ):
        resp = await api.put(
            f"/v1/templates/{name}", json={"channel": "log", "body": body}, headers=h
        )
        assert resp.is_success, resp.text
    resp = await api.put(
        "/v1/journeys/quick-start",
        content=EXAMPLE.read_bytes(),
        headers={**h, "Content-Type": "application/yaml"},
    )
    assert resp.is_success, resp.text
    resp = await api.post("/v1/journeys/quick-start/publish", headers=h)
    assert resp.is_success and resp.json()["version"] >= 1, resp.text
    profile = f"u-{uuid.uuid4().hex[:6]}"
    resp = await api.put(
        f"/v1/profiles/{profile}",
        json={"email": "ada@example.com", "attributes": {"first_name": "Ada"}},
        headers=json_h,
    )
    assert resp.is_success, resp.text
    resp = await api.post(
        "/v1/events",
        json={"name": "cart.updated", "profile_id": profile, "properties": {"total": 150}},
        headers=json_h,
    )
    assert resp.status_code == 202, resp.text

    async def both() -> list[str]:
        rows = await messages_for(api, h, profile, "quick-start")
        return sorted(r["body"] for r in rows if r["status"] == "sent") if len(rows) == 2 else []

    bodies = await eventually(both, 60)
    assert bodies == ["10% off today", "Hi Ada, your cart is waiting"]
    # Its id and event names are the README's, not the test's own: later tests sending
    # `cart.updated` must not enter it.
    resp = await api.post("/v1/journeys/quick-start/stop", headers=h)
    assert resp.status_code == 200 and resp.json()["status"] == "stopped", resp.text

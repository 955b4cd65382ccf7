"""A campaign whose template shows `decide('placement')`: each member's offer is decided once
per run before its message renders, caps hold across parallel batches, and a policy that
does not exist is refused at the campaign's definition."""

from __future__ import annotations

from typing import Any

import asyncpg
import httpx
import pytest

from tests.integration.campaign_helpers import make_audience, make_template, uid, wait_run
from workers.worker import Runtime

pytestmark = pytest.mark.integration


async def put(api: httpx.AsyncClient, h: dict[str, str], path: str, body: dict[str, Any]) -> None:
    resp = await api.put(path, json=body, headers=h)
    assert resp.status_code == 201, resp.text


async def test_each_member_sees_its_offer_and_a_total_cap_holds(
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    pool: asyncpg.Pool,
    runtime: Runtime,
) -> None:
    api, h = api_client, admin_headers
    slot, tag, policy = uid("slot"), uid("tag"), uid("decision")
    await put(
        api, h, f"/v1/placements/{slot}", {"name": "Hero", "channel": "log", "content_type": "text"}
    )
    flash, basic = uid("flash"), uid("basic")
    for offer, priority, caps in ((flash, 90, {"total": {"limit": 2}}), (basic, 10, {})):
        body = {
            "name": offer,
            "tags": [tag],
            "priority": priority,
            "representations": {slot: {"content": f"<{offer}>"}},
            **({"caps": caps} if caps else {}),
        }
        await put(api, h, f"/v1/offers/{offer}", body)
    body = {"name": "Hero", "placements": [slot], "candidates": {"tags": [tag]}}
    await put(api, h, f"/v1/decisions/{policy}", body)
    profiles = [uid("dp") for _ in range(7)]
    audience = await make_audience(pool, profiles)
    template = await make_template(
        pool, body=f"{{{{ profile.profile_id }}}}: {{{{ decide('{slot}') }}}}"
    )
    campaign = uid("offers")
    definition = {
        "id": campaign,
        "name": "Offer mail",
        "audience_id": audience,
        "channel": "log",
        "template": template,
        "delivery": {"decisions": [policy, uid("missing")]},
    }
    refused = await api.post("/v1/campaigns", json=definition, headers=h)
    assert refused.status_code == 422, refused.text
    assert [f["field"] for f in refused.json()["fields"]] == ["delivery.decisions[1]"]
    definition["delivery"] = {"decisions": [policy]}
    assert (await api.post("/v1/campaigns", json=definition, headers=h)).status_code == 201

    started = await api.post(
        f"/v1/campaigns/{campaign}/runs", json={"batch_size": 2, "parallel": 3}, headers=h
    )
    assert started.status_code == 201, started.text
    run = started.json()["run_id"]
    done = await wait_run(api, h, campaign, run)
    assert (done["status"], done["sent"], done["failed"]) == ("completed", 7, 0)

    rows = await pool.fetch(
        "SELECT profile_id, body FROM messages WHERE campaign_id = $1 ORDER BY 1", campaign
    )
    bodies = {r["profile_id"]: r["body"] for r in rows}
    assert sorted(bodies) == sorted(profiles)
    shown = [b.split(": ", 1)[1] for b in bodies.values()]
    assert sorted(shown) == sorted([f"<{flash}>"] * 2 + [f"<{basic}>"] * 5)
    decided = await pool.fetch(
        "SELECT profile_id, offers->0->>'offer_id' AS offer FROM propositions"
        " WHERE policy_id = $1 ORDER BY 1",
        policy,
    )
    assert [r["profile_id"] for r in decided] == sorted(profiles), "one proposition each"
    for r in decided:
        assert bodies[r["profile_id"]].endswith(f"<{r['offer']}>")

"""On-demand audiences: estimate a definition, create a campaign with the audience inline (it
is saved and evaluated for reuse), run it at once; a refused campaign leaves no audience."""

from __future__ import annotations

import asyncpg
import httpx
import pytest

from tests.integration.campaign_helpers import make_template, uid, wait_run
from workers.worker import Runtime

pytestmark = pytest.mark.integration


async def test_a_campaign_made_with_its_audience_runs_at_once(
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    pool: asyncpg.Pool,
    runtime: Runtime,
) -> None:
    api, h = api_client, admin_headers
    plan = uid("plan")
    members = [uid("od") for _ in range(3)]
    for profile in [*members, uid("other")]:
        attributes = {"plan": plan if profile in members else "free"}
        resp = await api.put(f"/v1/profiles/{profile}", json={"attributes": attributes}, headers=h)
        assert resp.status_code in (200, 201), resp.text
    definition = {"attribute": "plan", "op": "eq", "value": plan}
    estimate = await api.post("/v1/audiences/estimate", json={"definition": definition}, headers=h)
    assert estimate.json()["count"] == 3, estimate.text

    template, campaign, audience = await make_template(pool), uid("now"), uid("aud")
    body = {
        "id": campaign,
        "name": "Now",
        "channel": "log",
        "template": template,
        "audience": {"audience_id": audience, "name": "On the plan", "definition": definition},
    }
    refused = await api.post("/v1/campaigns", json={**body, "template": uid("missing")}, headers=h)
    assert refused.status_code == 422, refused.text
    assert [f["field"] for f in refused.json()["fields"]] == ["template"]
    gone = await api.get(f"/v1/audiences/{audience}", headers=h)
    assert gone.status_code == 404, "a refused campaign leaves no audience behind"
    bad = await api.post(
        "/v1/campaigns",
        json={**body, "audience": {**body["audience"], "definition": {"attribute": "plan"}}},
        headers=h,
    )
    assert bad.status_code == 422 and bad.json()["fields"][0]["field"].startswith(
        "audience.definition"
    ), bad.text
    both = await api.post("/v1/campaigns", json={**body, "audience_id": audience}, headers=h)
    assert both.status_code == 422, both.text

    made = await api.post("/v1/campaigns", json=body, headers=h)
    assert made.status_code == 201, made.text
    assert made.json()["audience_id"] == audience
    saved = await api.get(f"/v1/audiences/{audience}", headers=h)
    assert (saved.status_code, saved.json()["size"]) == (200, 3), "saved for reuse"
    started = await api.post(f"/v1/campaigns/{campaign}/runs", headers=h)
    assert started.status_code == 201, started.text
    done = await wait_run(api, h, campaign, started.json()["run_id"])
    assert (done["status"], done["sent"]) == ("completed", 3)
    sent = await pool.fetch("SELECT profile_id FROM messages WHERE campaign_id = $1", campaign)
    assert sorted(r["profile_id"] for r in sent) == sorted(members)

"""Alerts raise and resolve by themselves: failures fed into the ledgers, the evaluator run,
the signed webhook received by a local HTTP server, GET /v1/alerts showing open/resolved."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import asyncpg
import httpx
import pytest
from pydantic import SecretStr

from core.settings import Settings
from core.signing import SIGNATURE_HEADER, canonical_json, verify_webhook
from tests.integration.provider import FakeProvider
from workers.alerts import AlertEvaluator

pytestmark = pytest.mark.integration
SECRET = "alert-secret"


async def feed(pool: asyncpg.Pool, action: str, channel: str, journey: str, bad: int) -> None:
    """25 outcomes per scope, `bad` of them failures, all within the window."""
    async with pool.acquire() as conn, conn.transaction():
        for i in range(25):
            failed = i < bad
            await conn.execute(
                "INSERT INTO action_calls (call_id, kind, name, profile_id, status, finished_at)"
                " VALUES ($1, 'action', $2, 'p', $3, now())",
                uuid.uuid4().hex,
                action,
                "failed" if failed else "succeeded",
            )
            await conn.execute(
                "INSERT INTO messages (message_id, profile_id, channel, template, status)"
                " VALUES ($1, 'p', $2, 't', $3)",
                uuid.uuid4().hex,
                channel,
                "failed" if failed else "sent",
            )
            await conn.execute(
                "INSERT INTO journey_entries (run_id, workflow_id, journey_id, version,"
                " profile_id, entered_at, ended_at, status) VALUES ($1, 'w', $2, 1, 'p', now(),"
                " now(), $3)",
                uuid.uuid4().hex,
                journey,
                "errored" if failed else "completed",
            )


async def age(pool: asyncpg.Pool, action: str, channel: str, journey: str) -> None:
    """Move every outcome of these scopes out of the window."""
    old = "now() - interval '1 hour'"
    await pool.execute(f"UPDATE action_calls SET finished_at = {old} WHERE name = $1", action)
    await pool.execute(f"UPDATE messages SET created_at = {old} WHERE channel = $1", channel)
    await pool.execute(
        f"UPDATE journey_entries SET ended_at = {old} WHERE journey_id = $1", journey
    )


async def evaluate(evaluator: AlertEvaluator) -> None:
    """Until this evaluator ran once itself (the session's worker may hold the lock)."""
    for _ in range(100):
        if await evaluator.evaluate():
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the evaluation lock was never free")


async def test_alerts_open_deliver_and_resolve(
    settings: Settings,
    pool: asyncpg.Pool,
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
) -> None:
    tag = uuid.uuid4().hex[:8]
    action, channel, journey = f"act-{tag}", f"ch-{tag}", f"j-{tag}"
    quiet_action = f"calm-{tag}"
    scopes = {
        "action_error_rate": f"action:{action}",
        "message_failure_rate": f"channel:{channel}",
        "profile_error_rate": f"journey:{journey}",
    }
    await feed(pool, action, channel, journey, bad=10)  # 40%
    await feed(pool, quiet_action, f"calm-{tag}", f"calm-{tag}", bad=4)  # 16%: below 20%

    async def alerts(**params: str) -> list[dict[str, object]]:
        resp = await api_client.get("/v1/alerts", params=params, headers=admin_headers)
        assert resp.status_code == 200, resp.text
        return [a for a in resp.json()["items"] if str(a["scope"]).endswith(tag)]

    with FakeProvider() as hook:
        config = settings.model_copy(
            update={"alert_webhook_url": hook.url, "alert_webhook_secret": SecretStr(SECRET)}
        )
        async with httpx.AsyncClient(timeout=5) as http:
            evaluator = AlertEvaluator(pool, http, config)
            await evaluate(evaluator)
            await evaluate(evaluator)  # a second evaluation keeps one alert per scope
            opened = await alerts(status="open")
            assert {(a["kind"], a["scope"]) for a in opened} == set(scopes.items())
            for alert in opened:
                assert (alert["value"], alert["threshold"]) == (0.4, 0.2)
                assert (alert["failures"], alert["samples"]) == (10, 25)
            assert await evaluator.deliver() == 3
            assert await evaluator.deliver() == 0, "each transition is delivered once"
            await age(pool, action, channel, journey)
            await evaluate(evaluator)
            resolved = await alerts(status="resolved")
            assert {a["scope"] for a in resolved} == set(scopes.values())
            assert all(a["resolved_at"] and a["last_value"] == 0 for a in resolved)
            assert await alerts(status="open") == []
            assert await evaluator.deliver() == 3
    ours = [
        (h, b)
        for h, b in zip(hook.headers, [b for _, b in hook.requests], strict=True)
        if str(b["alert"]["scope"]).endswith(tag)
    ]
    assert sorted((b["type"], b["alert"]["kind"]) for _, b in ours) == sorted(
        [("alert.opened", k) for k in scopes] + [("alert.resolved", k) for k in scopes]
    )
    now = datetime.now(UTC).timestamp()
    for headers, body in ours:
        assert verify_webhook(SECRET, headers[SIGNATURE_HEADER], canonical_json(body), now=now)
        assert headers["Idempotency-Key"] == f"alert:{body['alert']['alert_id']}:{body['type'][6:]}"

"""Alerts on error rates, AJO-style: action (and fetch) error rate per action, message
failure rate per channel, profile error rate per journey, over a sliding window.

An alert opens when a scope's rate reaches the threshold with at least the minimum sample
size, stays open (tracking its latest and peak rate) while the rate holds, and resolves by
itself once the rate falls back below the threshold or nothing happens in the window. Each
transition is posted to the alert webhook, signed like the webhook channel.

Why a loop in the worker process and not a Temporal Schedule: the evaluation reads only
Postgres ledgers, and alerts must keep working when Temporal is what is failing; a schedule
would also add a workflow run (and its history) every tick on the server that is the
system's bottleneck. The worker runs `tick` every interval under its supervisor
(workers/supervisor.py), which logs and retries a failed tick. Several workers run the
loop; a transaction-level advisory lock lets one evaluate per tick, and SKIP LOCKED hands
each undelivered transition to one worker.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Literal

import asyncpg
import httpx

from core.settings import Settings, secret
from core.signing import SIGNATURE_HEADER, canonical_json, sign_webhook
from db.sql import q

log = logging.getLogger("wayline.alerts")
MAX_DELIVERY_ATTEMPTS = 20

Decision = Literal["open", "update", "resolve", "none"]


@dataclass(frozen=True)
class Sample:
    """Failures among the outcomes of one scope within the window."""

    kind: str
    scope: str
    failures: int
    total: int

    @property
    def rate(self) -> float:
        return self.failures / self.total if self.total else 0.0


@dataclass(frozen=True)
class Rule:
    threshold: float = 0.2
    min_samples: int = 20
    window_seconds: int = 300


def decide(sample: Sample | None, is_open: bool, rule: Rule) -> Decision:
    """What the evaluator does with one scope: open needs enough samples at or above the
    threshold; an open alert resolves below the threshold or on an empty window."""
    total = sample.total if sample else 0
    rate = sample.rate if sample else 0.0
    if not is_open:
        return "open" if total >= rule.min_samples and rate >= rule.threshold else "none"
    if total == 0 or rate < rule.threshold:
        return "resolve"
    return "update"


def alert_payload(row: Any, event: str) -> dict[str, Any]:
    keys = [
        "alert_id",
        "kind",
        "scope",
        "status",
        "opened_at",
        "resolved_at",
        "value",
        "peak",
        "last_value",
        "threshold",
        "failures",
        "samples",
        "window_seconds",
    ]
    return {"type": f"alert.{event}", "alert": {k: row[k] for k in keys}}


class AlertEvaluator:
    def __init__(self, pool: asyncpg.Pool, http: httpx.AsyncClient, settings: Settings) -> None:
        self.pool = pool
        self.http = http
        self.rule = Rule(
            threshold=settings.alert_threshold,
            min_samples=settings.alert_min_samples,
            window_seconds=settings.alert_window_seconds,
        )
        self.interval = settings.alert_interval_seconds
        self.webhook_url = settings.alert_webhook_url
        self.secret = secret(settings.alert_webhook_secret) or secret(settings.webhook_secret)

    async def evaluate(self) -> bool:
        """One evaluation of every scope; False if another worker holds the evaluation."""
        async with self.pool.acquire() as conn, conn.transaction():
            if not await conn.fetchval(q("alerts_try_lock")):
                return False
            rows = await conn.fetch(q("alert_samples"), float(self.rule.window_seconds))
            samples = {
                (r["kind"], r["scope"]): Sample(r["kind"], r["scope"], r["failures"], r["total"])
                for r in rows
            }
            opened = {
                (r["kind"], r["scope"]): r["alert_id"] for r in await conn.fetch(q("open_alerts"))
            }
            for key in samples.keys() | opened.keys():
                await self._apply(conn, key, samples.get(key), opened.get(key))
        return True

    async def _apply(
        self, conn: Any, key: tuple[str, str], sample: Sample | None, alert_id: int | None
    ) -> None:
        decision = decide(sample, alert_id is not None, self.rule)
        rate = sample.rate if sample else 0.0
        failures, total = (sample.failures, sample.total) if sample else (0, 0)
        if decision == "open":
            await conn.execute(
                q("open_alert"),
                key[0],
                key[1],
                rate,
                self.rule.threshold,
                failures,
                total,
                self.rule.window_seconds,
            )
            log.warning("alert open: %s %s at %.1f%%", key[0], key[1], 100 * rate)
        elif decision == "update":
            await conn.execute(q("update_alert"), alert_id, rate, failures, total)
        elif decision == "resolve":
            await conn.execute(q("resolve_alert"), alert_id, rate, failures, total)
            log.warning("alert resolved: %s %s at %.1f%%", key[0], key[1], 100 * rate)

    async def deliver(self) -> int:
        """Post every undelivered transition to the alert webhook; how many were posted."""
        if not self.webhook_url:
            return 0
        posted = 0
        async with self.pool.acquire() as conn, conn.transaction():
            for row in await conn.fetch(q("alerts_to_notify"), MAX_DELIVERY_ATTEMPTS):
                try:
                    if row["notified_open_at"] is None:
                        await self._post(row, "opened")
                        posted += 1
                    if row["status"] == "resolved":
                        await self._post(row, "resolved")
                        posted += 1
                except (httpx.HTTPError, RuntimeError) as exc:
                    await conn.execute(q("alert_delivery_failed"), row["alert_id"], str(exc))
                    continue
                await conn.execute(
                    q("alert_notified"), row["alert_id"], row["status"] == "resolved"
                )
        return posted

    async def _post(self, row: Any, event: str) -> None:
        assert self.webhook_url is not None
        body = canonical_json(alert_payload(row, event))
        headers = {
            "Content-Type": "application/json",
            "Idempotency-Key": f"alert:{row['alert_id']}:{event}",
        }
        if self.secret:
            headers[SIGNATURE_HEADER] = sign_webhook(self.secret, body)
        response = await self.http.post(self.webhook_url, content=body, headers=headers)
        if response.status_code >= 300:
            raise RuntimeError(f"alert webhook answered {response.status_code}")

    async def tick(self) -> None:
        await self.evaluate()
        await self.deliver()

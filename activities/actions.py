"""Custom HTTP actions and data-source reads for journey nodes.

Each call has a deterministic id and a ledger row: a retry after a crash finds the row,
a finished call is never made again, and the provider receives the id as
`Idempotency-Key`. Errors split in two: a client error (4xx) is final and goes to the
node's `on_error`; a server error, timeout or 429 is raised so Temporal retries it with
the action's backoff, and only when the attempts run out does `on_error` apply (the last
attempt records the failure in the ledger and answers ok=False instead of raising).
"""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import asyncpg
import httpx
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.heartbeat import Heartbeat
from activities.http_guard import BlockedDestination, GuardedClient, check_url
from core.connectors import ActionSpec, DataSourceSpec, HttpSpec, secret_refusal, secret_value
from core.contracts import ActionCallInput, ActionCallResult
from core.metrics import action_timer
from db.sql import q
from services.action_requests import CallFailed, pick, render_request

SPEC_TTL_SECONDS = 5.0


def auth_header(spec: HttpSpec, url: str) -> dict[str, str]:
    """The credential for a call to `url`; refused when the secret is not bound to its host,
    checked again here because the hosts may have changed since the spec was saved."""
    if spec.auth is None:
        return {}
    refusal = secret_refusal(spec.auth.secret, httpx.URL(url).host or None)
    if refusal is not None:
        raise CallFailed(f"refused: {refusal}")
    value = secret_value(spec.auth.secret)
    if value is None:
        raise CallFailed(
            f"secret {spec.auth.secret!r} is not set (WAYLINE_SECRET_{spec.auth.secret.upper()})"
        )
    if spec.auth.type == "bearer":
        return {"Authorization": f"Bearer {value}"}
    return {"Authorization": "Basic " + base64.b64encode(value.encode()).decode()}


class ActionActivities:
    def __init__(
        self,
        pool: asyncpg.Pool,
        http: GuardedClient,
    ) -> None:
        self.pool = pool
        self.http = http  # guarded: every connection it opens passes the SSRF check
        self._specs: dict[tuple[str, str], tuple[float, dict[str, Any] | None]] = {}
        self._cache: dict[str, tuple[float, dict[str, Any]]] = {}

    async def _spec(self, table: str, name: str) -> dict[str, Any] | None:
        key = (table, name)
        cached = self._specs.get(key)
        if cached and time.monotonic() - cached[0] < SPEC_TTL_SECONDS:
            return cached[1]
        query = "read_action" if table == "actions" else "read_data_source"
        row = await self.pool.fetchrow(q(query), name)
        spec = row["spec"] if row else None
        self._specs[key] = (time.monotonic(), spec)
        return spec

    @activity.defn(name="call_action")
    async def call_action(self, inp: ActionCallInput) -> ActionCallResult:
        return await self._call(inp, "actions", ActionSpec)

    @activity.defn(name="fetch_data")
    async def fetch_data(self, inp: ActionCallInput) -> ActionCallResult:
        return await self._call(inp, "data_sources", DataSourceSpec)

    async def _call(
        self, inp: ActionCallInput, table: str, model: type[ActionSpec] | type[DataSourceSpec]
    ) -> ActionCallResult:
        raw = await self._spec(table, inp.name)
        try:
            if raw is None:
                raise CallFailed(f"{inp.kind} {inp.name!r} does not exist")
            spec = model.model_validate(raw)
            method = spec.method if isinstance(spec, ActionSpec) else "GET"
            request = render_request(spec, method, inp.params)
        except CallFailed as exc:
            await self._claim(inp, None)
            return await self._finish(inp, "failed", None, str(exc))
        done = await self._claim(inp, request)
        if done is not None:
            return done
        if inp.dry_run:
            return await self._finish(inp, "dry_run", {}, None)
        try:
            with action_timer(inp.kind, inp.name):
                response = await self._perform(spec, request, inp.call_id)
        except CallFailed as exc:
            return await self._finish(inp, "failed", None, str(exc))
        except ApplicationError as exc:
            attempt = activity.info().attempt if activity.in_activity() else 0
            if not inp.max_attempts or attempt < inp.max_attempts:
                raise  # Temporal retries it with the action's backoff
            error = f"{exc} (gave up after {attempt} attempts)"
            return await self._finish(inp, "failed", None, error)
        return await self._finish(inp, "succeeded", pick(response, spec.response_fields), None)

    async def _claim(
        self, inp: ActionCallInput, request: dict[str, Any] | None
    ) -> ActionCallResult | None:
        """The ledger row; a finished earlier attempt answers for this one."""
        journey = inp.journey
        row = await self.pool.fetchrow(
            q("claim_call"),
            inp.call_id,
            inp.kind,
            inp.name,
            inp.profile_id,
            journey.get("id"),
            journey.get("version"),
            inp.node_id,
            request,
        )
        assert row is not None
        if row["status"] == "pending":
            return None
        return ActionCallResult(
            call_id=inp.call_id,
            ok=row["status"] != "failed",
            response=row["response"],
            error=row["error"],
        )

    async def _finish(
        self, inp: ActionCallInput, status: str, response: dict[str, Any] | None, error: str | None
    ) -> ActionCallResult:
        await self.pool.execute(q("finish_call"), inp.call_id, status, response, error)
        return ActionCallResult(
            call_id=inp.call_id, ok=status != "failed", response=response, error=error
        )

    async def _perform(self, spec: HttpSpec, request: dict[str, Any], call_id: str) -> Any:
        try:
            check_url(request["url"])
        except BlockedDestination as exc:
            raise CallFailed(f"refused: {exc}") from exc
        auth = auth_header(spec, request["url"])
        # The credential is part of the key: an answer read with one secret is never
        # served to a data source that reads the same URL with another.
        cache_key = json.dumps([request["url"], request["headers"], auth], sort_keys=True)
        ttl = spec.ttl_seconds if isinstance(spec, DataSourceSpec) else 0
        if ttl and (hit := self._cache.get(cache_key)) and time.monotonic() < hit[0]:
            return hit[1]
        headers = {**request["headers"], **auth, "Idempotency-Key": call_id}
        try:
            async with Heartbeat():
                resp = await self.http.request(
                    request["method"],
                    request["url"],
                    json=request["json"],
                    headers=headers,
                    timeout=spec.timeout_seconds,
                )
        except BlockedDestination as exc:  # raised where the connection is opened
            raise CallFailed(f"refused: {exc}") from exc
        except httpx.HTTPError as exc:
            raise ApplicationError(f"{type(exc).__name__}: {exc}", type="ActionRetryable") from exc
        if resp.status_code >= 500 or resp.status_code in (408, 425, 429):
            raise ApplicationError(f"answered {resp.status_code}", type="ActionRetryable")
        if resp.status_code >= 400:
            raise CallFailed(f"answered {resp.status_code}: {resp.text[:300]}")
        data = _json(resp)
        if ttl:
            self._cache[cache_key] = (time.monotonic() + ttl, data)
        return data


def _json(resp: httpx.Response) -> Any:
    if not resp.content:
        return {}
    try:
        return resp.json()
    except ValueError:
        return {"text": resp.text[:10_000]}


__all__ = ["ActionActivities", "pick", "render_request"]

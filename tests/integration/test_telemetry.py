"""One trace from the HTTP request to the provider call, across the Postgres outbox.

The stack here has its own database (so the session's dispatcher cannot route these
events with an untraced client), its own API and worker traced into an in-memory
exporter, a real Temporal dev server and a real local HTTP provider (webhook channel).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr
from temporalio.client import WorkflowHandle
from temporalio.service import RPCError, RPCStatusCode

from api.app import create_app
from api.keys import ensure_bootstrap_key
from core.metrics import MetricsServer, TemporalMetrics
from core.settings import Settings
from core.telemetry import Telemetry
from db.migrate import migrate_url
from db.pool import create_pool
from tests.conftest import ADMIN_KEY
from tests.integration.helpers import publish
from tests.integration.provider import FakeProvider
from workers.embedded import free_port
from workers.worker import Runtime, running

pytestmark = pytest.mark.integration


METRICS_TOKEN = "metrics-token-0123456789"


@dataclass
class TracedStack:
    settings: Settings
    pool: asyncpg.Pool
    api: httpx.AsyncClient
    runtime: Runtime
    provider: FakeProvider
    exporter: InMemorySpanExporter
    worker_metrics: str  # the worker's metrics URL


@pytest.fixture(scope="module")
async def traced(settings: Settings) -> AsyncIterator[TracedStack]:
    dsn = f"{settings.database_url.rsplit('/', 1)[0]}/trace{uuid.uuid4().hex[:8]}"
    await migrate_url(dsn, create=True)
    exporter = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    telemetry = Telemetry(tracer_provider)
    with FakeProvider() as provider:
        mine = settings.model_copy(
            update={
                "database_url": dsn,
                "task_queue": f"traced-{uuid.uuid4().hex[:8]}",
                "webhook_url": provider.url,
                "metrics_token": SecretStr(METRICS_TOKEN),
            }
        )
        pool = await create_pool(dsn)
        await ensure_bootstrap_key(pool, mine)
        app = create_app(mine, telemetry)
        sdk_metrics = TemporalMetrics()
        sdk_metrics.register()
        server = MetricsServer("127.0.0.1", 0)
        try:
            async with (
                app.router.lifespan_context(app),
                httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=app), base_url="http://wayline"
                ) as api,
                running(mine, telemetry=telemetry, sdk_metrics=sdk_metrics) as rt,
            ):
                url = f"http://127.0.0.1:{server.port}/metrics"
                yield TracedStack(mine, pool, api, rt, provider, exporter, url)
        finally:
            server.close()
            sdk_metrics.unregister()
            await pool.close()
            tracer_provider.shutdown()


def webhook_journey(jid: str, entry: str, template: str) -> dict[str, object]:
    hook = {"type": "message", "channel": "webhook", "template": template, "next": "done"}
    return {
        "id": jid,
        "name": jid,
        "entry": {"event": entry},
        "start": "hook",
        "nodes": {"hook": hook, "done": {"type": "end"}},
    }


async def finished(handle: WorkflowHandle[Any, Any]) -> Any:
    """The result, once the dispatcher has started the workflow (routing is asynchronous)."""
    while True:
        try:
            return await handle.result()
        except RPCError as exc:
            if exc.status != RPCStatusCode.NOT_FOUND:
                raise
            await asyncio.sleep(0.1)


def parent_of(span: ReadableSpan, spans: list[ReadableSpan]) -> ReadableSpan:
    assert span.parent is not None, f"{span.name} has no parent"
    [parent] = [s for s in spans if s.context.span_id == span.parent.span_id]
    return parent


async def test_one_trace_from_request_through_outbox_and_workflow_to_provider(
    traced: TracedStack,
) -> None:
    jid, entry, tpl = (f"{p}-{uuid.uuid4().hex[:8]}" for p in ("traced", "trace.go", "tpl"))
    await publish(traced.pool, webhook_journey(jid, entry, tpl), tpl, channel="webhook")
    traced.exporter.clear()
    resp = await traced.api.post(
        "/v1/events",
        json={"name": entry, "profile_id": "p-trace", "properties": {}},
        headers={"Authorization": f"Bearer {ADMIN_KEY}"},
    )
    assert resp.status_code == 202, resp.text
    stored = await traced.pool.fetchval(
        "SELECT traceparent FROM events WHERE event_id = $1", resp.json()["event_id"]
    )
    assert stored and stored.startswith("00-"), "the outbox row carries the request's trace"

    handle = traced.runtime.client.get_workflow_handle(f"journey:{jid}:p-trace")
    assert await asyncio.wait_for(finished(handle), 60) == "completed"
    assert len(traced.provider.requests) == 1

    spans = list(traced.exporter.get_finished_spans())
    [http_call] = [s for s in spans if s.kind == SpanKind.CLIENT and s.name == "POST"]
    chain = [http_call]
    while chain[-1].parent is not None:
        chain.append(parent_of(chain[-1], spans))
    names = [s.name for s in reversed(chain)]
    assert names == [
        "POST /v1/events",
        f"route {entry}",
        "SignalWithStartWorkflow:JourneyWorkflow",
        "StartActivity:send_message",
        "RunActivity:send_message",
        "POST",
    ], names
    assert len({s.context.trace_id for s in chain}) == 1
    # The workflow's own span is an instant, a sibling of what the workflow then schedules.
    [run] = [s for s in spans if s.name == "RunWorkflow:JourneyWorkflow"]
    assert parent_of(run, spans).name == "SignalWithStartWorkflow:JourneyWorkflow"
    assert run.attributes is not None and run.attributes["temporalWorkflowID"] == handle.id
    assert chain[-1].kind == SpanKind.SERVER  # the API request is the root
    assert http_call.attributes is not None
    url = http_call.attributes.get("url.full") or http_call.attributes.get("http.url")
    assert url == traced.provider.url
    # The provider received the trace too (W3C traceparent header of the httpx span).
    header = traced.provider.headers[0].get("traceparent", "")
    assert header.split("-")[1:3] == [
        f"{http_call.context.trace_id:032x}",
        f"{http_call.context.span_id:016x}",
    ]
    assert stored.split("-")[1] == f"{http_call.context.trace_id:032x}"


def sample(text: str, metric: str, /, **labels: str) -> float:
    """The value of one sample in a scrape (0 when the series does not exist yet)."""
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == metric and all(s.labels.get(k) == v for k, v in labels.items()):
                return float(s.value)
    return 0.0


async def scrape_api(traced: TracedStack) -> str:
    resp = await traced.api.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("text/plain")
    return resp.text


async def scrape_worker(traced: TracedStack) -> str:
    async with httpx.AsyncClient() as http:
        resp = await http.get(traced.worker_metrics)
    assert resp.status_code == 200
    return resp.text


async def test_metrics_endpoint_needs_the_token_or_a_read_key(traced: TracedStack) -> None:
    assert (await traced.api.get("/metrics")).status_code == 401
    wrong = {"Authorization": "Bearer not-the-token"}
    assert (await traced.api.get("/metrics", headers=wrong)).status_code == 401
    admin = {"Authorization": f"Bearer {ADMIN_KEY}"}
    for scopes, status in ((["events:write"], 403), (["read"], 200)):
        made = await traced.api.post(
            "/v1/api-keys", json={"name": "scraper", "scopes": scopes}, headers=admin
        )
        key = {"Authorization": f"Bearer {made.json()['key']}"}
        assert (await traced.api.get("/metrics", headers=key)).status_code == status
    assert "wayline_events_ingested" in await scrape_api(traced)


async def test_scrapes_show_ingest_journey_message_action_and_sdk_metrics(
    traced: TracedStack,
) -> None:
    jid, entry, tpl = (f"{p}-{uuid.uuid4().hex[:8]}" for p in ("metered", "meter.go", "tpl"))
    action = f"ping-{uuid.uuid4().hex[:6]}"
    admin = {"Authorization": f"Bearer {ADMIN_KEY}"}
    put = await traced.api.put(
        f"/v1/actions/{action}", json={"url": traced.provider.url, "method": "POST"}, headers=admin
    )
    assert put.status_code < 300, put.text
    defn = webhook_journey(jid, entry, tpl)
    defn["start"] = "ping"
    defn["nodes"]["ping"] = {"type": "action", "action": action, "next": "hook"}  # type: ignore[index]
    await publish(traced.pool, defn, tpl, channel="webhook")
    api_before, worker_before = await scrape_api(traced), await scrape_worker(traced)

    one = {"event_id": f"e-{jid}", "name": entry, "profile_id": "p-metered"}
    for body in (one, one, {"name": entry}):  # accepted, duplicate, refused (no profile_id)
        await traced.api.post("/v1/events", json=body, headers=admin)
    handle = traced.runtime.client.get_workflow_handle(f"journey:{jid}:p-metered")
    assert await asyncio.wait_for(finished(handle), 60) == "completed"

    api_text, worker_text = await scrape_api(traced), await scrape_worker(traced)
    for outcome in ("accepted", "duplicate", "refused"):
        assert sample(api_text, "wayline_events_ingested_total", name=entry, outcome=outcome) == 1

    def moved(metric: str, /, **labels: str) -> float:
        return sample(worker_text, metric, **labels) - sample(worker_before, metric, **labels)

    assert moved("wayline_journey_entries_total", journey=jid, outcome="entered") == 1
    assert moved("wayline_journey_exits_total", journey=jid, status="completed") == 1
    assert moved("wayline_messages_total", channel="webhook", status="sent") == 1
    assert moved("wayline_action_duration_seconds_count", kind="action", name=action) == 1
    assert moved("wayline_action_duration_seconds_bucket", name=action, le="+Inf") == 1
    assert moved("wayline_events_routed_total", outcome="routed") >= 1
    # The Temporal SDK's own worker metrics, bridged into the same registry.
    queue = traced.settings.task_queue
    assert moved("temporal_workflow_completed_total", task_queue=queue) >= 1
    assert sample(worker_text, "temporal_workflow_task_execution_latency_count", task_queue=queue)
    assert api_before  # the API scrape worked before anything happened too


async def until_answered(http: httpx.AsyncClient, url: str) -> httpx.Response:
    """The health endpoint opens once the workers run, which may be after the first
    SDK metrics are scraped."""
    for _ in range(100):
        with contextlib.suppress(httpx.HTTPError):
            return await http.get(url)
        await asyncio.sleep(0.2)
    raise AssertionError(f"nothing answered at {url}")


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with open(log, "wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "cli.main", "worker", "--no-dispatcher"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


async def test_worker_process_serves_metrics_and_logs_json(
    settings: Settings, migrated: None, tmp_path: Path
) -> None:
    """`wayline worker` as deployed: its metrics port, the SDK's metrics, its health endpoint,
    JSON log lines."""
    port, health_port = free_port(), free_port()
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "TEMPORAL_ADDRESS": settings.temporal_address,
        "WAYLINE_TASK_QUEUE": f"metered-{uuid.uuid4().hex[:8]}",
        "WAYLINE_WORKER_METRICS_PORT": str(port),
        "WAYLINE_WORKER_HEALTH_PORT": str(health_port),
        "WAYLINE_LOG_FORMAT": "json",
    }
    log = tmp_path / "worker.log"
    proc = start_worker(env, log)
    try:
        text = ""
        async with httpx.AsyncClient() as http:
            for _ in range(300):
                assert proc.poll() is None, log.read_text()
                with contextlib.suppress(httpx.HTTPError):
                    resp = await http.get(f"http://127.0.0.1:{port}/metrics")
                    # Pollers report within a second or two of the first poll.
                    if resp.status_code == 200 and "temporal_" in resp.text:
                        text = resp.text
                        break
                await asyncio.sleep(0.2)
            health = await until_answered(http, f"http://127.0.0.1:{health_port}/health")
        assert "# TYPE wayline_messages_total counter" in text
        assert "temporal_" in text, "the SDK's metrics are in the same scrape"
        assert health.status_code == 200, health.text
        loops = health.json()["loops"]
        assert {"action-workers", "alerts", "reconciler", "sdk-metrics"} <= loops.keys()
        assert "dispatcher" not in loops, "--no-dispatcher"
        assert "# TYPE wayline_loop_last_tick_timestamp_seconds gauge" in text
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    assert any(entry["message"].startswith("worker running") for entry in lines), lines
    assert all({"time", "level", "logger", "message"} <= set(entry) for entry in lines)


async def test_terminated_journeys_count_as_exits_on_the_api(traced: TracedStack) -> None:
    jid, entry = (f"{p}-{uuid.uuid4().hex[:8]}" for p in ("held", "hold.go"))
    defn = {
        "id": jid,
        "name": jid,
        "entry": {"event": entry},
        "start": "hold",
        "nodes": {
            "hold": {"type": "wait", "duration": "PT1H", "next": "done"},
            "done": {"type": "end"},
        },
    }
    await publish(traced.pool, defn, f"tpl-{jid}")
    admin = {"Authorization": f"Bearer {ADMIN_KEY}"}
    before = await scrape_api(traced)
    for profile in ("p-1", "p-2"):
        body = {"name": entry, "profile_id": profile}
        assert (await traced.api.post("/v1/events", json=body, headers=admin)).status_code == 202
    for _ in range(300):
        inside = await traced.pool.fetchval(
            "SELECT count(*) FROM journey_entries WHERE journey_id = $1", jid
        )
        if inside == 2:
            break
        await asyncio.sleep(0.1)
    resp = await traced.api.post(f"/v1/journeys/{jid}/stop?terminate=true", headers=admin)
    assert resp.status_code == 200 and resp.json()["terminated"] == 2, resp.text
    after = await scrape_api(traced)
    labels = {"journey": jid, "status": "exited"}
    exits = "wayline_journey_exits_total"
    assert sample(after, exits, **labels) - sample(before, exits, **labels) == 2

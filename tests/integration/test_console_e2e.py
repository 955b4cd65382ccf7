"""The web console in Chromium against the real stack (API over loopback HTTP, worker,
Temporal, PostgreSQL): sign in, find a journey, watch its canvas count the events sent
through the API, find a profile and read its path and the expressions that chose it, pause
and resume a campaign run, and a read key that is offered no write button and refused if it
forces one.
The screenshots land in docs/screenshots/ for docs/console.md."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from playwright.async_api import Browser, Page, expect

from api.console import BUILT
from core.names import journey_workflow_id
from core.settings import Settings
from tests.conftest import ADMIN_KEY
from tests.integration.browser import SCREENSHOTS, VIEWPORT, chromium, serving
from tests.integration.campaign_helpers import make_audience, make_template
from tests.integration.conftest import KeyMaker
from tests.integration.helpers import uid
from workers.worker import Runtime

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def console_url(app: FastAPI, settings: Settings) -> AsyncIterator[str]:
    index = (settings.console_dir or BUILT) / "index.html"
    assert index.is_file(), "build the console first: scripts/test.sh runs npm ci and the build"
    async with serving(app) as url:
        yield url


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with chromium() as found:
        yield found


def definition(jid: str, template: str) -> dict[str, Any]:
    """A condition, a split fanning out, a wait for an event and a loop back to it."""
    return {
        "id": jid,
        "name": "Cart recovery (console test)",
        "entry": {"event": f"{jid}.go"},
        "start": "check",
        "nodes": {
            "check": {
                "type": "condition",
                "branches": [{"when": "event.properties.total > 100", "next": "vip"}],
                "otherwise": "ab",
            },
            "vip": {"type": "message", "channel": "log", "template": template, "next": "hold"},
            "ab": {
                "type": "split",
                "paths": [
                    {"name": "a", "weight": 50, "next": "hold"},
                    {"name": "b", "weight": 50, "next": "hold"},
                ],
            },
            "hold": {
                "type": "wait_for_event",
                "event": f"{jid}.paid",
                "timeout": "PT1H",
                "on_event": "done",
                "on_timeout": "nudge",
            },
            "nudge": {"type": "message", "channel": "log", "template": template, "next": "hold"},
            "done": {"type": "end"},
        },
    }


async def publish(api: httpx.AsyncClient, headers: dict[str, str], jid: str) -> None:
    template = f"{jid}-hello"
    body = {"channel": "log", "body": "Hello {{ profile.profile_id }}"}
    resp = await api.put(f"/v1/templates/{template}", json=body, headers=headers)
    assert resp.status_code in (200, 201), resp.text
    resp = await api.put(f"/v1/journeys/{jid}", json=definition(jid, template), headers=headers)
    assert resp.status_code in (200, 201), resp.text
    resp = await api.post(f"/v1/journeys/{jid}/publish", headers=headers)
    assert resp.status_code == 201, resp.text


async def sign_in(page: Page, url: str, key: str, shot: str | None = None) -> None:
    await page.goto(f"{url}/")
    await expect(page.get_by_label("API key")).to_be_visible()
    if shot:
        await page.screenshot(path=SCREENSHOTS / shot)
    await page.get_by_label("API key").fill(key)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("heading", name="Journeys")).to_be_visible()
    assert key not in page.url


async def open_journey(page: Page, jid: str) -> None:
    await page.get_by_label("Search").fill(jid)
    await page.get_by_role("link", name=jid).click()
    await expect(page.get_by_role("button", name="hold wait_for_event")).to_be_visible()


def count(page: Page, node: str, name: str) -> Any:
    return page.get_by_role("button", name=f"{node} ").locator(f'[data-count="{name}"] dd')


async def test_sign_in_open_a_journey_and_watch_the_counts_change(
    runtime: Runtime,
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    console_url: str,
    browser: Browser,
) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    jid = uid("console")
    await publish(api_client, admin_headers, jid)
    page = await browser.new_page(viewport=VIEWPORT)
    await sign_in(page, console_url, ADMIN_KEY, shot="sign-in.png")
    row = page.get_by_role("row").filter(has_text=jid)
    await expect(row).to_contain_text("live")
    await page.screenshot(path=SCREENSHOTS / "journeys.png")
    await open_journey(page, jid)
    for node, kind in [("check", "condition"), ("ab", "split"), ("nudge", "message")]:
        await expect(page.get_by_role("button", name=f"{node} {kind}")).to_be_visible()
    await expect(page.get_by_text("a · 50%")).to_be_visible()
    await expect(page.get_by_role("button", name="Stop journey")).to_be_visible()
    await expect(count(page, "hold", "waiting")).to_have_text("0")

    for n, total in enumerate((250, 20, 30)):
        body = {"name": f"{jid}.go", "profile_id": f"{jid}-p{n}", "properties": {"total": total}}
        assert (await api_client.post("/v1/events", json=body, headers=admin_headers)).is_success
    await expect(count(page, "hold", "waiting")).to_have_text("3", timeout=45_000)
    await expect(count(page, "check", "entered")).to_have_text("3")
    await expect(count(page, "vip", "sent")).to_have_text("1", timeout=15_000)
    await page.screenshot(path=SCREENSHOTS / "canvas.png")

    await page.get_by_role("button", name="vip message").click()
    panel = page.get_by_role("complementary", name="Node vip")
    await expect(panel).to_contain_text('"template"')
    await expect(panel.locator("dd").first).to_be_visible()
    chart = panel.get_by_role("img", name="Entered and exited over time at vip")
    await expect(chart).to_be_visible()
    await page.get_by_label("Window").select_option(label="Last hour")
    await expect(count(page, "check", "entered")).to_have_text("3")
    await page.screenshot(path=SCREENSHOTS / "node-panel.png")


async def test_a_read_key_sees_no_write_button_and_is_refused_when_forcing_one(
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    pool: asyncpg.Pool,
    make_key: KeyMaker,
    console_url: str,
    browser: Browser,
) -> None:
    jid = uid("console-read")
    await publish(api_client, admin_headers, jid)
    reader = (await make_key("read", name="console-viewer"))["Authorization"].split()[1]
    page = await browser.new_page(viewport=VIEWPORT)
    await sign_in(page, console_url, reader)
    await open_journey(page, jid)
    await expect(page.get_by_text("console-viewer · read")).to_be_visible()
    assert await page.get_by_role("button", name="Stop journey").count() == 0
    assert await page.get_by_role("button", name="Publish draft").count() == 0
    await page.screenshot(path=SCREENSHOTS / "read-key.png")
    campaign = uid("console-read-sale")
    body = {
        "id": campaign,
        "name": "Needs a second pair of eyes",
        "audience_id": await make_audience(pool, [uid("rp")]),
        "channel": "log",
        "template": await make_template(pool),
        "requires_approval": True,
    }
    assert (await api_client.post("/v1/campaigns", json=body, headers=admin_headers)).is_success
    await page.get_by_role("link", name="Campaigns").click()
    await page.get_by_role("link", name=campaign).click()
    await expect(page.get_by_text("approval: awaiting approval")).to_be_visible()
    for button in ("Approve campaign", "Send now"):
        assert await page.get_by_role("button", name=button).count() == 0
    status = await page.evaluate(
        """async (jid) => (await fetch(`/v1/journeys/${jid}/stop`, {
            method: "POST",
            headers: {Authorization: `Bearer ${sessionStorage.getItem("wayline.apiKey")}`},
        })).status""",
        jid,
    )
    assert status == 403
    journey = await api_client.get(f"/v1/journeys/{jid}", headers=admin_headers)
    assert journey.json()["status"] == "live"


async def test_find_a_profile_and_read_its_path_and_the_expressions_evaluated(
    runtime: Runtime,
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    console_url: str,
    browser: Browser,
) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    jid = uid("console-path")
    pid = f"{jid}-ada"
    await publish(api_client, admin_headers, jid)
    body = {
        "email": f"{pid}@example.com",
        "timezone": "Europe/Paris",
        "attributes": {"plan": "pro"},
    }
    assert (
        await api_client.put(f"/v1/profiles/{pid}", json=body, headers=admin_headers)
    ).is_success
    event = {"name": f"{jid}.go", "profile_id": pid, "properties": {"total": 250}}
    assert (await api_client.post("/v1/events", json=event, headers=admin_headers)).is_success

    page = await browser.new_page(viewport=VIEWPORT)
    await sign_in(page, console_url, ADMIN_KEY)
    await page.get_by_role("link", name="Profiles").click()
    await page.get_by_label("Find a profile").fill(f"{pid}@EXAMPLE.com")
    await page.get_by_role("button", name="Find").click()
    await expect(page.get_by_role("heading", name=f"Profile {pid}")).to_be_visible()
    await expect(page.get_by_role("region", name="Attributes")).to_contain_text('"pro"')
    await expect(page.get_by_role("region", name="Contact fields")).to_contain_text("Europe/Paris")

    path = page.get_by_role("region", name=f"Path through {jid}")
    await expect(path).to_contain_text("waits at hold", timeout=45_000)
    steps = path.get_by_role("table", name="Steps")
    check = steps.get_by_role("row").filter(has_text="condition")
    await expect(check).to_contain_text("branch 0")
    await expect(check).to_contain_text("event.properties.total > 100 = true")
    vip = steps.get_by_role("row").filter(has_text="vip")
    await expect(vip).to_contain_text("sent", timeout=15_000)
    await expect(vip).to_contain_text(f"{jid}-hello")
    hold = page.get_by_role("button", name="hold wait_for_event")
    await expect(hold).to_contain_text("waiting here")
    await expect(page.get_by_role("button", name="ab split")).to_contain_text("not visited")
    await expect(page.get_by_role("list", name="Timeline")).to_contain_text(f"{jid}.go")
    temporal = path.get_by_role("link", name="Open in the Temporal UI")
    workflow = quote(journey_workflow_id(jid, pid), safe="")
    assert await temporal.get_attribute("href") == (
        f"http://127.0.0.1:8233/namespaces/default/workflows/{workflow}"
    )
    await page.screenshot(path=SCREENSHOTS / "profile.png", full_page=True)


async def test_pause_and_resume_a_campaign_run(
    runtime: Runtime,
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    pool: asyncpg.Pool,
    console_url: str,
    browser: Browser,
) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    audience = await make_audience(pool, [uid("cp") for _ in range(40)])
    campaign = uid("console-sale")
    body = {
        "id": campaign,
        "name": "Spring sale (console test)",
        "audience_id": audience,
        "channel": "log",
        "template": await make_template(pool),
        "delivery": {"max_per_second": 4},
        "schedule": {"cron": "0 9 * * MON", "timezone": "Europe/Paris"},
    }
    assert (await api_client.post("/v1/campaigns", json=body, headers=admin_headers)).is_success

    page = await browser.new_page(viewport=VIEWPORT)
    await sign_in(page, console_url, ADMIN_KEY)
    await page.get_by_role("link", name="Campaigns").click()
    await expect(page.get_by_role("row").filter(has_text=campaign)).to_contain_text("not required")
    await page.screenshot(path=SCREENSHOTS / "campaigns.png")
    await page.get_by_role("link", name=campaign).click()
    await expect(page.get_by_role("list", name="Next runs").get_by_role("listitem")).to_have_count(
        5
    )
    await page.get_by_role("button", name="Send now").click()
    status = page.get_by_test_id("run-status")
    await page.get_by_role("button", name="Pause run").click(timeout=30_000)
    await expect(status).to_have_text("paused")
    await expect(page.get_by_role("button", name="Resume run")).to_be_visible()
    await expect(page.get_by_role("region", name="Definition")).to_contain_text(audience)
    await page.screenshot(path=SCREENSHOTS / "campaign-paused.png")
    runs = (await api_client.get(f"/v1/campaigns/{campaign}/runs", headers=admin_headers)).json()
    run = runs["items"][0]
    assert run["status"] == "paused" and run["total"] == 40 and run["remaining"] > 0

    await page.get_by_role("button", name="Resume run").click()
    await expect(status).to_have_text("running")
    await expect(status).to_have_text("completed", timeout=60_000)
    await expect(page.locator('[data-count="sent"]')).to_have_text("40")
    await expect(page.locator('[data-count="remaining"]')).to_have_text("0")
    await page.screenshot(path=SCREENSHOTS / "campaign.png")


async def test_audiences_messages_as_rendered_and_alerts(
    runtime: Runtime,
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    pool: asyncpg.Pool,
    console_url: str,
    browser: Browser,
) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    h = admin_headers
    jid, plan = uid("console-ledger"), uid("plan")
    pids = [f"{jid}-{n}" for n in range(3)]
    for pid in pids:
        body = {"attributes": {"plan": plan}}
        assert (await api_client.put(f"/v1/profiles/{pid}", json=body, headers=h)).is_success
    aid = uid("console-aud")
    rule = {"attribute": "plan", "op": "eq", "value": plan}
    body = {"audience_id": aid, "name": "Pro plan (console test)", "definition": rule}
    assert (await api_client.post("/v1/audiences", json=body, headers=h)).status_code == 201
    await publish(api_client, h, jid)
    event = {"name": f"{jid}.go", "profile_id": pids[0], "properties": {"total": 500}}
    assert (await api_client.post("/v1/events", json=event, headers=h)).is_success
    await pool.execute(
        "INSERT INTO alerts (kind, scope, status, resolved_at, value, peak, last_value, threshold,"
        " failures, samples, window_seconds) VALUES"
        " ('profile_error_rate', $1, 'open', NULL, 0.5, 0.6, 0.4, 0.1, 12, 24, 300),"
        " ('message_failure_rate', $2, 'resolved', now(), 0.3, 0.3, 0.02, 0.2, 3, 10, 300)",
        f"journey:{jid}",
        f"channel:{jid}",
    )

    page = await browser.new_page(viewport=VIEWPORT)
    await sign_in(page, console_url, ADMIN_KEY)
    await page.get_by_role("link", name="Audiences").click()
    await page.get_by_role("button", name=f"Show audience {aid}").click()
    panel = page.get_by_role("region", name=f"Audience {aid}")
    await expect(panel).to_contain_text("3 members")
    for pid in pids:
        await expect(panel.get_by_role("link", name=pid)).to_be_visible()
    await page.screenshot(path=SCREENSHOTS / "audiences.png")

    await page.get_by_role("link", name="Messages").click()
    await page.get_by_label("Journey").fill(jid)
    await page.get_by_label("Status").select_option("sent")
    await page.get_by_role("button", name="Search").click()
    rows = page.get_by_role("table", name="Messages").get_by_role("row")
    await expect(rows.filter(has_text=pids[0])).to_contain_text("sent", timeout=45_000)
    await rows.filter(has_text=pids[0]).get_by_role("button").click()
    rendered = page.get_by_label("Rendered body")
    await expect(rendered).to_have_text(f"Hello {pids[0]}")
    await page.screenshot(path=SCREENSHOTS / "messages.png")

    await page.get_by_role("link", name="Alerts").click()
    alerts = page.get_by_role("table", name="Alerts")
    await expect(alerts.get_by_role("row").filter(has_text=f"journey:{jid}")).to_contain_text(
        "50.0%"
    )
    assert await alerts.get_by_role("row").filter(has_text=f"channel:{jid}").count() == 0
    await page.screenshot(path=SCREENSHOTS / "alerts.png")
    await page.get_by_label("Status").select_option("resolved")
    await expect(alerts.get_by_role("row").filter(has_text=f"channel:{jid}")).to_contain_text(
        "resolved"
    )

"""The journey designer in Chromium against the real stack: a journey like the abandoned
cart of examples/ built from an empty draft on the canvas, the YAML view edited and the
canvas following, a subgraph copied and pasted, undo, a node renamed from its form; saved,
and what was stored read back.
The screenshots land in docs/screenshots/designer-*.png for the walkthrough in docs/console.md."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from playwright.async_api import Browser, Locator, Page, expect

from api.console import BUILT
from core.settings import Settings
from tests.conftest import ADMIN_KEY
from tests.integration.browser import SCREENSHOTS, VIEWPORT, chromium, serving
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


async def sign_in(page: Page, url: str) -> None:
    await page.goto(f"{url}/")
    await page.get_by_label("API key").fill(ADMIN_KEY)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("heading", name="Journeys")).to_be_visible()


def node(page: Page, node_id: str) -> Locator:
    return page.locator(f'.design-canvas .react-flow__node[data-id="{node_id}"]')


async def add_node(page: Page, kind: str) -> None:
    """From the keyboard: the Add node menu, arrows to the type, Enter."""
    await page.get_by_role("button", name="Add node").click()
    await page.get_by_role("menuitem", name=kind.replace("_", " "), exact=True).press("Enter")
    await settle(page)


async def settle(page: Page) -> None:
    """The canvas pans to show a new node (200 ms): handles are where they stay after it."""
    await page.wait_for_timeout(400)


async def yaml_text(page: Page) -> str:
    await page.get_by_role("tab", name="Code").click()
    return await page.get_by_label("YAML text").input_value()


def handle(page: Page, node_id: str, slot: str) -> Locator:
    return node(page, node_id).locator(f'.react-flow__handle[data-handleid="{slot}"]')


async def wire(page: Page, source: str, slot: str, target: str) -> None:
    """Drag from the slot's handle to the target node's entry handle."""
    start = await handle(page, source, slot).bounding_box()
    end = await node(page, target).locator(".react-flow__handle.target").bounding_box()
    assert start and end
    await page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    await page.mouse.down()
    await page.mouse.move(end["x"] + end["width"] / 2, end["y"] + end["height"] / 2, steps=12)
    await page.mouse.up()


async def select(page: Page, *node_ids: str) -> None:
    await node(page, node_ids[0]).click(position={"x": 60, "y": 12})
    for more in node_ids[1:]:
        await node(page, more).click(position={"x": 60, "y": 12}, modifiers=["Shift"])


async def build_the_graph(page: Page) -> None:
    """The abandoned cart's graph, from the canvas alone: each node added below the one
    selected (its first free slot leads to it), the rest wired by dragging handles."""
    await add_node(page, "wait_for_event")
    await page.get_by_role("button", name="Set as start").click()
    await wire(page, "wait_for_event", "on_event", "done")
    await add_node(page, "message")  # on_timeout, the first free slot
    await add_node(page, "wait")  # the message's next
    await add_node(page, "condition")  # the wait's next
    await add_node(page, "message")  # the condition's first branch
    await wire(page, "message_2", "next", "done")
    await wire(page, "condition", "otherwise", "done")
    await page.get_by_role("button", name="Arrange").click()
    await settle(page)


async def make_template(api: httpx.AsyncClient, headers: dict[str, str], name: str) -> None:
    body = {"channel": "log", "body": "Your cart misses you, {{ profile.profile_id }}"}
    resp = await api.put(f"/v1/templates/{name}", json=body, headers=headers)
    assert resp.status_code in (200, 201), resp.text


async def properties(page: Page, node_id: str) -> Locator:
    """The properties pane of a node, opened by clicking it."""
    await select(page, node_id)
    form = page.get_by_role("form", name=f"Node {node_id}")
    await expect(form).to_be_visible()
    return form


async def fill_in(page: Page, jid: str, template: str) -> None:
    """The settings and each node's properties, from the forms drawn from the schema."""
    await page.get_by_role("tab", name="Settings").click()
    settings = page.get_by_role("form", name="Journey settings")
    await (
        settings.get_by_role("group", name="Entry")
        .get_by_label("Event", exact=True)
        .fill(f"{jid}.cart")
    )
    form = await properties(page, "wait_for_event")
    await form.get_by_label("Event", exact=True).fill(f"{jid}.ordered")
    await form.get_by_label("Timeout", exact=True).fill("PT2S")
    for message in ("message", "message_2"):
        form = await properties(page, message)
        await form.get_by_label("Channel", exact=True).fill("log")
        await form.get_by_label("Template", exact=True).fill(template)
    form = await properties(page, "wait")
    await form.get_by_label("Duration", exact=True).fill("PT1S")


async def condition_when(page: Page) -> Locator:
    form = await properties(page, "condition")
    return form.get_by_role("group", name="Branches 1").get_by_label("When", exact=True)


async def test_build_test_publish_edit_copy_undo(
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    runtime: Runtime,
    console_url: str,
    browser: Browser,
) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    jid = uid("designed")
    template = f"{jid}-reminder"
    await make_template(api_client, admin_headers, template)
    page = await browser.new_page(viewport=VIEWPORT)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await sign_in(page, console_url)
    await page.get_by_role("button", name="New journey").click()
    await page.get_by_label("New journey id").fill(jid)
    await page.get_by_role("button", name="Open in designer").click()
    await expect(page.get_by_text("Opened a new journey.")).to_be_visible()
    await expect(node(page, "done")).to_be_visible()

    await build_the_graph(page)
    await page.screenshot(path=SCREENSHOTS / "designer-graph.png")
    await fill_in(page, jid, template)
    when = await condition_when(page)
    await when.fill("event.properties.total >")
    await expect(node(page, "condition").locator(".problem-mark")).to_be_visible(timeout=10_000)
    await expect(when).to_have_attribute("aria-invalid", "true")
    await page.screenshot(path=SCREENSHOTS / "designer-problem.png")
    await when.fill("event.properties.total > 100")
    await expect(page.get_by_role("tab", name="Problems (0)")).to_be_visible(timeout=10_000)
    await expect(page.locator(".problem-mark")).to_have_count(0)
    text = await yaml_text(page)
    assert "  condition:\n    type: condition\n    branches:\n" in text
    assert "      - next: message_2\n        when: event.properties.total > 100\n" in text

    await page.get_by_role("tab", name="Test").click()
    await page.get_by_label("Entry properties (JSON)").fill('{"total": 250}')
    await page.get_by_role("button", name="Run test").click()
    await expect(page.locator(".react-flow__edge.taken")).to_have_count(5, timeout=20_000)
    taken = page.locator(".react-flow__edge.taken")
    labels = {await e.get_attribute("aria-label") or "" for e in await taken.all()}
    assert "wait_for_event on timeout to message (taken)" in labels
    assert "condition branches 1 to message_2 (taken)" in labels
    await page.screenshot(path=SCREENSHOTS / "designer-test.png")

    await page.get_by_role("tab", name="Publish").click()
    await page.get_by_role("button", name="Publish", exact=True).click()
    await expect(page.get_by_text("Published version 1")).to_be_visible(timeout=20_000)
    await expect(node(page, "condition")).to_be_visible()  # the diff graph leaves the canvas be
    await page.screenshot(path=SCREENSHOTS / "designer-publish.png")
    stored = (await api_client.get(f"/v1/journeys/{jid}/design", headers=admin_headers)).json()
    assert stored["source"].startswith(f"# {jid}: made in the designer\n")
    assert set(stored["positions"]) == {
        "done",
        "wait_for_event",
        "message",
        "wait",
        "condition",
        "message_2",
    }
    body = {"name": f"{jid}.cart", "profile_id": f"{jid}-p", "properties": {"total": 250}}
    assert (await api_client.post("/v1/events", json=body, headers=admin_headers)).is_success
    sent = await ledger(api_client, admin_headers, jid, 2)
    assert sorted(m["node_id"] for m in sent) == ["message", "message_2"]

    await yaml_follows(page)
    await copy_paste_undo(page)
    await rename_follows(page)
    await page.reload()  # unsaved edits are gone; the saved design (the published draft) opens
    await expect(page.get_by_text("Opened the saved design.")).to_be_visible()
    await expect(node(page, "message_2")).to_be_visible()
    await expect(node(page, "end")).to_have_count(0)
    assert errors == []


async def ledger(
    api: httpx.AsyncClient, headers: dict[str, str], jid: str, count: int
) -> list[dict[str, Any]]:
    """The journey's messages in the ledger, once there are `count` of them (or after 40 s)."""
    items: list[dict[str, Any]] = []
    for _ in range(80):
        resp = await api.get(f"/v1/messages?journey_id={jid}", headers=headers)
        items = resp.json()["items"]
        if len(items) >= count:
            break
        await asyncio.sleep(0.5)
    return items


async def yaml_follows(page: Page) -> None:
    """An edit of the YAML text shows on the canvas at once; its comments stay."""
    await page.get_by_role("tab", name="Code").click()
    code = page.get_by_label("YAML text")
    text = await code.input_value()
    edited = text.replace(
        "  message:\n    type: message\n",
        "  message:\n    type: message\n    description: The reminder # said on the canvas\n",
    )
    assert edited != text
    await code.fill(edited)
    await expect(node(page, "message").locator(".node-label")).to_have_text("The reminder")
    await code.fill(edited.replace("nodes:\n", "nodes: [\n"))
    await expect(page.locator(".parse-error")).to_be_visible()
    await expect(node(page, "message")).to_be_visible()
    await page.screenshot(path=SCREENSHOTS / "designer-code.png")
    await code.fill(edited)
    await expect(page.locator(".parse-error")).to_have_count(0)


async def copy_paste_undo(page: Page) -> None:
    """Copy two nodes, paste them: the edge between them follows, the one out is dropped."""
    await select(page, "message", "wait")
    await page.keyboard.press("Control+c")
    await page.keyboard.press("Control+v")
    await expect(node(page, "message_3")).to_be_visible()
    await expect(node(page, "wait_2")).to_be_visible()
    text = await yaml_text(page)
    assert "  message_3:\n    type: message\n" in text
    assert "  wait_2:\n    type: wait\n    duration: PT1S\n" in text
    assert "    description: The reminder # said on the canvas\n" in text
    assert text.count("next: wait_2") == 1
    await page.screenshot(path=SCREENSHOTS / "designer-paste.png")
    await node(page, "message_3").click(position={"x": 60, "y": 12})
    await page.keyboard.press("Control+z")
    await expect(node(page, "message_3")).to_have_count(0)
    await expect(node(page, "wait_2")).to_have_count(0)
    await page.keyboard.press("Control+Shift+z")
    await expect(node(page, "message_3")).to_be_visible()
    await page.get_by_role("button", name="Undo").click()
    await expect(node(page, "message_3")).to_have_count(0)
    # a type dragged from the palette lands where it is dropped
    await page.locator('.palette-item[data-type="end"]').drag_to(
        page.locator(".design-canvas .react-flow__pane"), target_position={"x": 560, "y": 120}
    )
    await expect(node(page, "end")).to_be_visible()


async def rename_follows(page: Page) -> None:
    """A node renamed from its Id field: the canvas, the edges in and the YAML key follow
    (the key where it was, the comments kept); an id taken is refused beside the field."""
    form = await properties(page, "wait")
    field = form.get_by_label("Id", exact=True)
    await field.fill("message")
    await expect(field).to_have_attribute("aria-invalid", "true")
    await expect(form.get_by_text("another node is already called message")).to_be_visible()
    await field.fill("pause")
    await field.press("Enter")
    await expect(node(page, "pause")).to_be_visible()
    await expect(node(page, "wait")).to_have_count(0)
    await expect(page.get_by_role("form", name="Node pause")).to_be_visible()
    text = await yaml_text(page)
    assert "    description: The reminder # said on the canvas\n" in text
    assert "    next: pause\n" in text
    assert "  pause:\n    type: wait\n" in text
    assert text.index("  message:\n") < text.index("  pause:\n") < text.index("  condition:\n")
    assert "  wait:\n" not in text and "next: wait\n" not in text
    await page.get_by_role("button", name="Undo").click()
    await expect(node(page, "wait")).to_be_visible()
    await expect(node(page, "pause")).to_have_count(0)

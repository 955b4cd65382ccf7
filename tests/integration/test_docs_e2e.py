"""Swagger UI and ReDoc render in Chromium with every request to another host refused: the
API docs need no internet (issue 20.4). The browser reaches the API by a name that is not
localhost, as a user's would, since Swagger UI skips some of its calls out for localhost."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.async_api import Browser, Page, Route, expect

from tests.integration.browser import VIEWPORT, chromium

pytestmark = pytest.mark.integration

HOST = "wayline.test"  # mapped to the loopback address by Chromium's resolver rules


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with chromium(f"--host-resolver-rules=MAP {HOST} 127.0.0.1") as found:
        yield found


async def offline_page(browser: Browser, refused: list[str], errors: list[str]) -> Page:
    """A page on which every request for another host than the API's is refused and noted,
    as are the page's uncaught errors and the console's error lines."""
    page = await browser.new_page(viewport=VIEWPORT)
    page.on("pageerror", lambda exc: errors.append(f"uncaught: {exc}"))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)

    async def guard(route: Route) -> None:
        url = route.request.url
        if urlsplit(url).hostname == HOST:
            await route.continue_()
        else:
            refused.append(url)
            await route.abort("internetdisconnected")

    await page.route("**/*", guard)
    return page


def on_host(api_url: str) -> str:
    return api_url.replace("127.0.0.1", HOST)


async def test_swagger_ui_renders_the_operations_offline(
    browser: Browser, api_url: str, tmp_path: Path
) -> None:
    refused: list[str] = []
    errors: list[str] = []
    page = await offline_page(browser, refused, errors)
    await page.goto(f"{on_host(api_url)}/docs")
    operation = page.locator(".opblock", has_text="/v1/events/batch").first
    await expect(operation).to_be_visible(timeout=30_000)
    await expect(page.locator(".info .title")).to_contain_text("Wayline")
    await page.screenshot(path=tmp_path / "swagger-ui.png")
    assert refused == []
    assert errors == []
    await page.close()


async def test_redoc_renders_the_reference_offline(
    browser: Browser, api_url: str, tmp_path: Path
) -> None:
    refused: list[str] = []
    errors: list[str] = []
    page = await offline_page(browser, refused, errors)
    await page.goto(f"{on_host(api_url)}/redoc")
    heading = page.get_by_role("heading", name=re.compile(r"^Wayline"))
    await expect(heading.first).to_be_visible(timeout=30_000)
    await expect(page.get_by_text("/v1/events/batch").first).to_be_attached()
    await page.screenshot(path=tmp_path / "redoc.png")
    assert refused == []
    # ReDoc's one call out, its Redocly logo, is refused by the page's policy before any
    # request; the footer shows without it.
    assert [e for e in errors if "cdn.redoc.ly/redoc/logo-mini.svg" not in e] == []
    await expect(page.get_by_text("API docs by Redocly")).to_be_visible()
    await page.close()

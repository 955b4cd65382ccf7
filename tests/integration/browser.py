"""The real API served over loopback HTTP for a browser, and Debian's Chromium driven by
Playwright (its own browser download is unreachable here, so it is launched by path)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import uvicorn
from fastapi import FastAPI
from playwright.async_api import Browser, async_playwright

from workers.embedded import free_port

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
VIEWPORT = {"width": 1280, "height": 800}


@asynccontextmanager
async def serving(app: FastAPI) -> AsyncIterator[str]:
    """The app (its lifespan already running) on a free loopback port; yields its URL."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    for _ in range(200):
        if server.started:
            break
        await asyncio.sleep(0.05)
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


def chromium_path() -> str:
    assert CHROMIUM.exists(), "apt-get install chromium (scripts/test.sh does when it is missing)"
    return str(CHROMIUM)


@asynccontextmanager
async def chromium(*extra_args: str) -> AsyncIterator[Browser]:
    path = chromium_path()
    async with async_playwright() as pw:
        args = [*CHROMIUM_ARGS, *extra_args]
        browser = await pw.chromium.launch(executable_path=path, args=args)
        try:
            yield browser
        finally:
            await browser.close()

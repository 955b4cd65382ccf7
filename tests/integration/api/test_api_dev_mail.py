"""`wayline dev`'s mail catcher: a message sent to it over SMTP is listed and read back
through the API, Bcc recipients included; without the catcher the routes say it is off."""

from __future__ import annotations

from collections.abc import AsyncIterator
from email.message import EmailMessage
from pathlib import Path

import aiosmtplib
import httpx
import pytest
from fastapi import FastAPI

from api.app import create_app
from cli.mail_catcher import catcher
from core.settings import Settings
from workers.embedded import free_port

pytestmark = pytest.mark.integration


@pytest.fixture
async def caught_api(
    settings: Settings, app: FastAPI, tmp_path: Path
) -> AsyncIterator[tuple[httpx.AsyncClient, int]]:
    """An API whose mail catcher folder is this test's, and the catcher's SMTP port."""
    folder, port = tmp_path / "mail", free_port()
    server = catcher(folder, port)
    server.start()
    application = create_app(settings.model_copy(update={"dev_mail_dir": folder}))
    try:
        async with application.router.lifespan_context(application):
            transport = httpx.ASGITransport(app=application)
            async with httpx.AsyncClient(transport=transport, base_url="http://wayline") as c:
                yield c, port
    finally:
        server.stop()


def message() -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "Wayline <noreply@wayline.test>"
    msg["To"] = "ada@example.test"
    msg["Subject"] = "Your cart"
    msg.set_content("Hi Ada, your cart is waiting")
    msg.add_alternative("<p>Hi Ada, your cart is waiting</p>", subtype="html")
    return msg


async def test_caught_mail_is_listed_read_and_cleared(
    caught_api: tuple[httpx.AsyncClient, int], admin_headers: dict[str, str]
) -> None:
    api, port = caught_api
    h = admin_headers
    await aiosmtplib.send(
        message(),
        hostname="127.0.0.1",
        port=port,
        recipients=["ada@example.test", "audit@example.test"],  # the second as a Bcc
    )
    listed = (await api.get("/v1/dev/mail", headers=h)).json()
    assert listed["count"] == 1
    [summary] = listed["items"]
    assert summary["subject"] == "Your cart"
    assert summary["sender"] == "Wayline <noreply@wayline.test>"
    assert summary["recipients"] == ["ada@example.test", "audit@example.test"]
    mail = (await api.get(f"/v1/dev/mail/{summary['id']}", headers=h)).json()
    assert mail["text"] == "Hi Ada, your cart is waiting\n"
    assert mail["html"] == "<p>Hi Ada, your cart is waiting</p>\n"
    assert ["Subject", "Your cart"] in mail["headers"]
    missing = await api.get("/v1/dev/mail/nope", headers=h)
    assert missing.status_code == 404, missing.text
    assert (await api.delete("/v1/dev/mail", headers=h)).json() == {"deleted": 1}
    assert (await api.get("/v1/dev/mail", headers=h)).json()["count"] == 0


async def test_without_the_catcher_the_routes_say_it_is_off(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    resp = await api_client.get("/v1/dev/mail", headers=admin_headers)
    assert resp.status_code == 404
    assert "only under `wayline dev`" in resp.json()["message"]
    assert (await api_client.get("/v1/dev/mail")).status_code == 401

"""Email over SMTP (aiosmtplib): the MIME message and a small pool of connected clients.

Each worker keeps up to `pool_size` SMTP connections open and reuses them across sends; a
connection the server dropped is replaced and the send tried once more on a fresh one.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, parseaddr

import aiosmtplib

from activities.channels import ChannelError, Rendered


@dataclass(frozen=True)
class SmtpConfig:
    host: str = "127.0.0.1"
    port: int = 25
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    tls: bool = False
    timeout: float = 30.0
    pool_size: int = 4
    sender: str = "Wayline <noreply@localhost>"
    unsubscribe_mailto: str | None = None


def build_email(
    config: SmtpConfig, message_id: str, rendered: Rendered, *, mailto: str | None = None
) -> EmailMessage:
    """The MIME message: text part, HTML alternative if any, RFC 8058 unsubscribe headers."""
    msg = EmailMessage()
    msg["From"] = config.sender
    msg["To"] = rendered.recipient or ""
    msg["Subject"] = rendered.subject or ""
    msg["Date"] = formatdate(usegmt=True)
    domain = parseaddr(config.sender)[1].rpartition("@")[2] or "wayline"
    msg["Message-ID"] = f"<{re.sub(r'[^A-Za-z0-9._-]', '-', message_id)}@{domain}>"
    msg["X-Wayline-Message-Id"] = message_id
    targets = []
    if rendered.unsubscribe_url:
        targets.append(f"<{rendered.unsubscribe_url}>")
    if mailto:
        targets.append(f"<mailto:{mailto}?subject=unsubscribe>")
    if targets:
        msg["List-Unsubscribe"] = ", ".join(targets)
    if rendered.unsubscribe_url:
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg.set_content(rendered.body)
    if rendered.html:
        msg.add_alternative(rendered.html, subtype="html")
    return msg


class SmtpPool:
    """Up to `size` connected SMTP clients, handed out one send at a time."""

    def __init__(self, config: SmtpConfig) -> None:
        self.config = config
        self._idle: list[aiosmtplib.SMTP] = []
        self._slots = asyncio.Semaphore(max(1, config.pool_size))
        self.connects = 0  # connections opened, for tests and metrics

    async def _connect(self) -> aiosmtplib.SMTP:
        c = self.config
        client = aiosmtplib.SMTP(
            hostname=c.host,
            port=c.port,
            username=c.username,
            password=c.password,
            use_tls=c.tls,
            start_tls=c.starttls,
            timeout=c.timeout,
        )
        await client.connect()
        self.connects += 1
        return client

    @contextlib.asynccontextmanager
    async def client(self, *, fresh: bool = False) -> AsyncIterator[aiosmtplib.SMTP]:
        async with self._slots:
            client = None if fresh or not self._idle else self._idle.pop()
            if client is not None and not client.is_connected:
                client = None
            if client is None:
                client = await self._connect()
            healthy = False
            try:
                yield client
                healthy = True
            finally:
                if healthy and client.is_connected:
                    self._idle.append(client)
                else:
                    _close(client)

    async def send(self, msg: EmailMessage) -> None:
        """Send on a pooled connection; a dropped connection is replaced once."""
        try:
            async with self.client() as client:
                await client.send_message(msg)
                return
        except (aiosmtplib.SMTPServerDisconnected, ConnectionError):
            pass  # the server closed an idle connection: one more try on a fresh one
        async with self.client(fresh=True) as client:
            await client.send_message(msg)

    async def close(self) -> None:
        idle, self._idle = self._idle, []
        for client in idle:
            with contextlib.suppress(Exception):
                await client.quit()


def _close(client: aiosmtplib.SMTP) -> None:
    with contextlib.suppress(Exception):
        client.close()


class EmailChannel:
    """Sends one rendered email; SMTP answers become retryable or final ChannelErrors."""

    def __init__(self, config: SmtpConfig) -> None:
        self.config = config
        self.pool = SmtpPool(config)

    async def send(self, message_id: str, rendered: Rendered) -> None:
        msg = build_email(self.config, message_id, rendered, mailto=self.config.unsubscribe_mailto)
        try:
            await self.pool.send(msg)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [r.code for r in exc.recipients]
            final = bool(codes) and all(code >= 500 for code in codes)
            raise ChannelError(
                f"smtp refused the recipient: {exc.recipients[0] if exc.recipients else exc}",
                retryable=not final,
                hard_bounce=final,
            ) from exc
        except aiosmtplib.SMTPResponseException as exc:
            raise ChannelError(
                f"smtp answered {exc.code}: {exc.message}", retryable=exc.code < 500
            ) from exc
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise ChannelError(f"smtp: {type(exc).__name__}: {exc}", retryable=True) from exc

    async def close(self) -> None:
        await self.pool.close()

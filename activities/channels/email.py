"""Email over SMTP (aiosmtplib): the MIME message, a small pool of connected clients, and
the channel that renders and sends through them.

Each worker keeps up to `pool_size` SMTP connections open and reuses them across sends; a
connection the server dropped is replaced and the send tried once more on a fresh one.
"""

from __future__ import annotations

import asyncio
import binascii
import contextlib
import functools
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from email.header import Header
from email.utils import formataddr, formatdate, parseaddr

import aiosmtplib
from aiosmtplib.typing import SMTPStatus
from markupsafe import Markup

from activities.channels.base import ChannelError, Delivery, Draft, Remote, Rendered
from activities.channels.links import Links
from activities.channels.setup import Setup
from activities.channels.tracking import add_tracking
from contacts import addresses
from core.settings import Settings, secret
from core.signing import Tracked
from journeys.decided import shown_offers
from journeys.model import Profile


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


@dataclass(frozen=True)
class OutgoingEmail:
    """An email ready for SMTP: the envelope and the MIME bytes."""

    sender: str
    recipients: list[str]
    data: bytes


_ID_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")
_date_cache: tuple[int, str] = (0, "")


def _date_header() -> str:
    """`Date:` now, formatted once per second rather than once per email."""
    global _date_cache
    second = int(time.time())
    if _date_cache[0] != second:
        _date_cache = (second, f"Date: {formatdate(second, usegmt=True)}")
    return _date_cache[1]


def _one_line(value: str) -> str:
    """Header values never carry line breaks (no header injection from a template)."""
    return " ".join(value.splitlines())


def _header(name: str, value: str) -> str:
    value = _one_line(value)
    if value.isascii() and len(name) + len(value) < 900:
        return f"{name}: {value}"
    return f"{name}: " + Header(value, "utf-8", header_name=name).encode(linesep="\r\n")


@functools.lru_cache(maxsize=1024)
def _address(name: str, value: str) -> tuple[str, str]:
    """(the header line, the bare address); cached: the sender is the same every time."""
    display, addr = parseaddr(_one_line(value))
    addr = _mailbox(_ROLES[name], addr or value.strip())
    if not display or display.isascii():
        return _header(name, value), addr
    return f"{name}: {formataddr((display, addr), charset='utf-8')}", addr


def _recipient(value: str) -> tuple[str, str]:
    """The `To:` line and the envelope recipient: the stored address itself, never what a
    parser extracts from it (`bad<someone@example.test` is not sent to someone@example.test).
    An address the entry rules refuse fails this message for good (contacts/addresses.py)."""
    checked = addresses.sendable_email(value)
    if isinstance(checked, addresses.Invalid):
        raise ChannelError(
            f"invalid recipient address {value!r}: {checked.reason}", retryable=False
        )
    return f"To: {checked}", _mailbox("recipient", checked)


_UNSAFE_MAILBOX = re.compile(r'[\s<>"]')
_ROLES = {"From": "sender"}


def _mailbox(role: str, addr: str) -> str:
    """An address checked once for the SMTP command line: ASCII, and nothing that could
    smuggle parameters or commands into MAIL or RCPT (the same rule aiosmtplib applies).
    A bad one fails this message for good rather than retrying what can never be sent."""
    if not addr or not addr.isascii() or _UNSAFE_MAILBOX.search(addr):
        raise ChannelError(f"invalid {role} address {addr!r}", retryable=False)
    return addr


def _qp(text: str) -> bytes:
    """Quoted-printable UTF-8 with CRLF line ends (binascii's C encoder)."""
    encoded = binascii.b2a_qp(text.replace("\r\n", "\n").encode("utf-8"), istext=True)
    return encoded.replace(b"\n", b"\r\n")


def _part(subtype: str, text: str) -> bytes:
    return (
        f'Content-Type: text/{subtype}; charset="utf-8"\r\n'
        "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
    ).encode() + _qp(text)


def build_email(
    config: SmtpConfig, message_id: str, rendered: Rendered, *, mailto: str | None = None
) -> OutgoingEmail:
    """The MIME message: text part, HTML alternative if any, RFC 8058 unsubscribe headers.

    Written directly rather than through `email.message`: its generator parses and refolds
    every header, which made MIME building the CPU bottleneck of batch email sends
    (bench/email_throughput.py). Both parts are quoted-printable UTF-8, so a boundary
    starting with `=_` can never occur inside them (QP writes `=` as `=3D`): the message id
    serves as the rest of it, and no random number is needed.
    """
    from_line, sender = _address("From", config.sender)
    to_line, recipient = _recipient(rendered.recipient or "")
    domain = sender.rpartition("@")[2] or "wayline"
    local_id = _ID_UNSAFE.sub("-", message_id)
    headers = [
        from_line,
        to_line,
        _header("Subject", rendered.subject or ""),
        _date_header(),
        f"Message-ID: <{local_id}@{domain}>",
        _header("X-Wayline-Message-Id", message_id),
    ]
    targets = []
    if rendered.unsubscribe_url:
        targets.append(f"<{_one_line(rendered.unsubscribe_url)}>")
    if mailto:
        targets.append(f"<mailto:{_one_line(mailto)}?subject=unsubscribe>")
    if targets:
        headers.append("List-Unsubscribe: " + ",\r\n ".join(targets))
    if rendered.unsubscribe_url:
        headers.append("List-Unsubscribe-Post: List-Unsubscribe=One-Click")
    headers.append("MIME-Version: 1.0")
    head = "\r\n".join(headers).encode("utf-8") + b"\r\n"
    if not rendered.html:
        data = head + _part("plain", rendered.body)
    else:
        boundary = f"=_wl_{local_id}".encode()  # unique enough: see the docstring
        data = (
            head
            + b'Content-Type: multipart/alternative; boundary="'
            + boundary
            + b'"\r\n\r\n--'
            + boundary
            + b"\r\n"
            + _part("plain", rendered.body)
            + b"\r\n--"
            + boundary
            + b"\r\n"
            + _part("html", rendered.html)
            + b"\r\n--"
            + boundary
            + b"--\r\n"
        )
    return OutgoingEmail(sender=sender, recipients=[recipient], data=data)


# What the server answers about one email; the connection itself stays good for the next.
_REFUSALS = (aiosmtplib.SMTPResponseException, aiosmtplib.SMTPRecipientsRefused)


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
        if client.is_ehlo_or_helo_needed:  # greet once per connection, not per transaction
            try:
                await client.ehlo()
            except aiosmtplib.SMTPHeloError:
                await client.helo()
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
            except _REFUSALS:
                healthy = True  # the server said no to this email; the envelope was reset
                raise
            finally:
                if healthy and client.is_connected:
                    self._idle.append(client)
                else:
                    _close(client)

    async def send(self, msg: OutgoingEmail) -> None:
        """Send on a pooled connection; a dropped connection is replaced once."""
        try:
            async with self.client() as client:
                await self._transfer(client, msg)
                return
        except (aiosmtplib.SMTPServerDisconnected, ConnectionError):
            pass  # the server closed an idle connection: one more try on a fresh one
        async with self.client(fresh=True) as client:
            await self._transfer(client, msg)

    async def _transfer(self, client: aiosmtplib.SMTP, msg: OutgoingEmail) -> None:
        """One mail transaction (MAIL, RCPT, DATA) under a single deadline.

        This is `sendmail` without its per-send overhead, which was a third of the client's
        CPU in bench/email_throughput.py: it parses every address four times (the addresses
        here were checked once by `build_email`) and arms a timer for each of the four
        replies. A timeout closes the connection (`client()` drops it as unhealthy).
        """
        async with asyncio.timeout(self.config.timeout):
            options = [b"SIZE=%d" % len(msg.data)] if client.supports_extension("size") else []
            reply = await client.execute_command(
                b"MAIL", b"FROM:<" + msg.sender.encode() + b">", *options, timeout=None
            )
            if reply.code != SMTPStatus.completed:
                raise aiosmtplib.SMTPSenderRefused(reply.code, reply.message, msg.sender)
            try:
                await _recipients(client, msg.recipients)
                await client.data(msg.data, timeout=None)
            except _REFUSALS:
                try:
                    await client.rset(timeout=None)  # a clean envelope for the next send
                except (ConnectionError, aiosmtplib.SMTPException):
                    _close(client)  # not reset: the pool must not hand it out again
                raise

    async def close(self) -> None:
        idle, self._idle = self._idle, []
        for client in idle:
            with contextlib.suppress(Exception):
                await client.quit()


async def _recipients(client: aiosmtplib.SMTP, recipients: list[str]) -> None:
    """RCPT for each; only when every recipient is refused does the transaction fail."""
    refused = []
    for addr in recipients:
        reply = await client.execute_command(b"RCPT", b"TO:<" + addr.encode() + b">", timeout=None)
        if reply.code not in (SMTPStatus.completed, SMTPStatus.will_forward):
            refused.append(aiosmtplib.SMTPRecipientRefused(reply.code, reply.message, addr))
    if len(refused) == len(recipients):
        raise aiosmtplib.SMTPRecipientsRefused(refused)


def _close(client: aiosmtplib.SMTP) -> None:
    with contextlib.suppress(Exception):
        client.close()


class EmailChannel(Remote):
    """Sends one rendered email; SMTP answers become retryable or final ChannelErrors.

    Rendering adds the unsubscribe link (`unsubscribe_url` for the template, and the
    List-Unsubscribe headers), the shared layout, and open and click tracking.
    """

    name = "email"
    missing = "no email address"

    def __init__(
        self,
        config: SmtpConfig,
        *,
        links: Links | None = None,
        layout: str | None = None,
        tracking: bool = True,
        smtp: SmtpPool | None = None,
    ) -> None:
        self.config = config
        self.links = links or Links()
        self.layout = layout
        self.tracking = tracking
        self.pool = smtp or SmtpPool(config)

    def recipient(self, profile: Profile) -> str | None:
        return profile.email or None

    async def render(self, draft: Draft) -> Rendered:
        links = self.links
        unsubscribe = links.unsubscribe(
            draft.profile.profile_id, self.name, draft.template["topic"]
        )
        draft.ctx["unsubscribe_url"] = unsubscribe or ""
        subject, body, html = draft.parts()
        if self.layout and self.layout != draft.name:
            body, html = await self._wrap(draft, body, html)
        if html and self.tracking and links.secret:
            html = add_tracking(
                html,
                secret=links.secret,
                base_url=links.base,
                tracked=Tracked(draft.message_id, draft.profile.profile_id, draft.journey_id),
                keep=(f"{links.base}/v1/unsubscribe",),
                shown=shown_offers(html, draft.ctx.get("vars") or {}),
            )
        return Rendered(self.recipient(draft.profile), subject, body, html, unsubscribe)

    async def _wrap(self, draft: Draft, body: str, html: str | None) -> tuple[str, str | None]:
        """The shared layout template, when it exists, wraps both parts as `{{ content }}`, in
        the profile's locale variant of the layout."""
        layout = await draft.lookup(self.layout or "")
        if layout is None or layout["channel"] != "email":
            return body, html
        text = draft.text(layout)
        body = draft.compile(text["body"]).render({**draft.ctx, "content": body})
        if html is not None and text.get("html"):
            ctx = {**draft.ctx, "content": Markup(html)}
            html = draft.compile(text["html"], True).render(ctx)
        return body, html

    async def send(self, delivery: Delivery, rendered: Rendered) -> None:
        mailto = self.config.unsubscribe_mailto
        msg = build_email(self.config, delivery.message_id, rendered, mailto=mailto)
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


def smtp_config(settings: Settings) -> SmtpConfig:
    return SmtpConfig(
        host=settings.smtp_host,
        port=settings.smtp_port,
        username=settings.smtp_username,
        password=secret(settings.smtp_password),
        starttls=settings.smtp_starttls,
        tls=settings.smtp_tls,
        timeout=settings.smtp_timeout_seconds,
        pool_size=settings.smtp_pool_size,
        sender=settings.email_from,
        unsubscribe_mailto=settings.email_unsubscribe_mailto,
    )


def configured(setup: Setup) -> EmailChannel:
    s = setup.settings
    return EmailChannel(
        smtp_config(s), links=setup.links, layout=s.email_layout, tracking=s.email_tracking
    )

"""`wayline mail-catcher`: the SMTP server `wayline dev` points the email channel at.

Every message it receives is kept, whatever its recipient, in a Maildir in the dev stack's
data folder (services/dev_mail.py reads it for `GET /v1/dev/mail`), so the email channel
and the campaign examples work with no SMTP server and no mail ever leaves the machine.
It listens on loopback only. Stops on SIGTERM or SIGINT.
"""

from __future__ import annotations

import mailbox
import signal
import threading
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from core.settings import Settings
from services.dev_mail import ENVELOPE_TO


class Keeper:
    """The aiosmtpd handler: accepts every message and delivers it to the Maildir."""

    def __init__(self, folder: Path) -> None:
        self.box = mailbox.Maildir(folder, create=True)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or envelope.content or b""
        raw = content if isinstance(content, bytes) else content.encode()
        header = f"{ENVELOPE_TO}: {', '.join(envelope.rcpt_tos)}\r\n".encode()
        self.box.add(mailbox.MaildirMessage(header + raw))
        return "250 Message caught"


def catcher(folder: Path, port: int) -> Controller:
    """Not started yet: `start()` listens, `stop()` closes."""
    return Controller(Keeper(folder), hostname="127.0.0.1", port=port)


def run(settings: Settings) -> int:
    if settings.dev_mail_dir is None:
        print("wayline mail-catcher: set WAYLINE_DEV_MAIL_DIR (wayline dev does)")
        return 2
    server = catcher(settings.dev_mail_dir, settings.dev_mail_port)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda signum, frame: stop.set())
    server.start()
    print(f"mail catcher on 127.0.0.1:{settings.dev_mail_port}, into {settings.dev_mail_dir}")
    try:
        stop.wait()
    finally:
        server.stop()
    return 0

"""Mail caught by `wayline dev`'s mail catcher, read back for the API.

The catcher (cli/mail_catcher.py) delivers every message it receives into a Maildir in the
dev stack's data folder; this module lists, reads and clears it. A Maildir, not a table:
the catcher is a development tool, it must not need a migration or PostgreSQL to be up,
and the files can be opened with any mail client. Outside `wayline dev` no folder is
configured and every operation says the catcher is off.
"""

from __future__ import annotations

import heapq
import mailbox
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

from services.errors import NotFound

# Set by the catcher on delivery: the SMTP envelope, which a Bcc never shows in the headers.
ENVELOPE_TO = "X-Caught-Rcpt-To"


class MailCatcherOff(NotFound):
    def __init__(self) -> None:
        super().__init__("caught mail (the mail catcher runs only under `wayline dev`)")


@dataclass(frozen=True)
class CaughtMail:
    id: str
    received_at: datetime
    sender: str
    recipients: list[str]
    subject: str
    message: EmailMessage

    @property
    def text(self) -> str | None:
        return _part(self.message, "plain")

    @property
    def html(self) -> str | None:
        return _part(self.message, "html")


def caught(folder: Path | None, limit: int) -> list[CaughtMail]:
    """The newest `limit` messages, newest first; only those are read and parsed."""
    box = _box(folder)
    assert folder is not None  # _box refused None
    found = [_read(box, key) for key in _newest_keys(folder, limit)]
    return sorted(found, key=lambda m: (m.received_at, m.id), reverse=True)


def _newest_keys(folder: Path, limit: int) -> list[str]:
    """The keys of the `limit` newest files of a Maildir, by delivery time (the file's mtime).

    A Maildir key is its file's name up to the `:` of the flags, in `new/` or `cur/`."""
    stamped = [
        (entry.stat().st_mtime, entry.name.split(":", 1)[0])
        for sub in ("new", "cur")
        for entry in os.scandir(folder / sub)
        if entry.is_file() and not entry.name.startswith(".")
    ]
    return [key for _, key in heapq.nlargest(limit, stamped)]


def one(folder: Path | None, mail_id: str) -> CaughtMail:
    try:
        return _read(_box(folder), mail_id)
    except KeyError:  # Maildir's word for a key it does not hold
        raise NotFound(f"caught mail {mail_id!r}") from None


def clear(folder: Path | None) -> int:
    """Deletes every caught message; how many there were."""
    box = _box(folder)
    keys = list(box.iterkeys())
    for key in keys:
        box.discard(key)
    return len(keys)


def _box(folder: Path | None) -> mailbox.Maildir:
    if folder is None:
        raise MailCatcherOff()
    return mailbox.Maildir(folder, create=True)


def _read(box: mailbox.Maildir, key: str) -> CaughtMail:
    stored = box.get_message(key)
    message = BytesParser(policy=policy.default).parsebytes(stored.as_bytes())
    assert isinstance(message, EmailMessage)
    envelope = str(message.get(ENVELOPE_TO, ""))
    return CaughtMail(
        id=key,
        received_at=datetime.fromtimestamp(stored.get_date(), UTC),
        sender=str(message.get("From", "")),
        recipients=[r for r in envelope.split(", ") if r],
        subject=str(message.get("Subject", "")),
        message=message,
    )


def _part(message: EmailMessage, subtype: str) -> str | None:
    body = message.get_body(preferencelist=(subtype,))
    if body is None or body.get_content_subtype() != subtype:
        return None
    content = body.get_content()
    return content if isinstance(content, str) else None

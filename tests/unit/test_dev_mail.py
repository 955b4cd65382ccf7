"""services/dev_mail.py reads only the newest messages a listing shows."""

from __future__ import annotations

import mailbox
import os
from email.message import EmailMessage
from pathlib import Path

from services.dev_mail import caught


def deliver(folder: Path, subject: str, mtime: float, seen: bool = False) -> None:
    box = mailbox.Maildir(folder, create=True)
    msg = EmailMessage()
    msg["Subject"] = subject
    msg.set_content(subject)
    stored = mailbox.MaildirMessage(msg)
    if seen:
        stored.set_subdir("cur")
        stored.set_flags("S")
    key = box.add(stored)
    [path] = folder.glob(f"*/{key}*")  # the file in new/ or cur/, to date its delivery
    os.utime(path, (mtime, mtime))


def test_the_newest_are_listed_newest_first_from_new_and_cur(tmp_path: Path) -> None:
    folder = tmp_path / "mail"
    deliver(folder, "oldest", 1_000)
    deliver(folder, "newest", 3_000, seen=True)  # moved to cur/ with flags, as a client does
    deliver(folder, "middle", 2_000)
    assert [m.subject for m in caught(folder, 2)] == ["newest", "middle"]
    assert [m.subject for m in caught(folder, 50)] == ["newest", "middle", "oldest"]

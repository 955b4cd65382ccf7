"""`wayline dev`'s caught mail: what the email channel sent, readable without a mail server."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Path, Query

from api.deps import Admin, Reader, SettingsDep
from api.schemas.common import ERRORS, Page
from api.schemas.dev_mail import CaughtMailPublic, CaughtMailSummary, Cleared
from services import dev_mail
from services.dev_mail import CaughtMail

router = APIRouter(prefix="/dev/mail", tags=["dev"], responses=ERRORS)
MailId = Annotated[str, Path(max_length=200, pattern=r"^[A-Za-z0-9._:,=-]+$")]


@router.get("")
async def list_mail(
    settings: SettingsDep, _: Reader, limit: Annotated[int, Query(ge=1, le=500)] = 50
) -> Page[CaughtMailSummary]:
    """Caught messages, newest first; 404 when the stack runs no mail catcher."""
    found = await asyncio.to_thread(dev_mail.caught, settings.dev_mail_dir, limit)
    return Page(items=[_summary(m) for m in found], count=len(found))


@router.get("/{mail_id}")
async def read_mail(mail_id: MailId, settings: SettingsDep, _: Reader) -> CaughtMailPublic:
    """One caught message: its text and HTML parts and every header."""
    mail = await asyncio.to_thread(dev_mail.one, settings.dev_mail_dir, mail_id)
    headers = [(k, str(v)) for k, v in mail.message.items()]
    return CaughtMailPublic(
        **_summary(mail).model_dump(), text=mail.text, html=mail.html, headers=headers
    )


@router.delete("")
async def clear_mail(settings: SettingsDep, _: Admin) -> Cleared:
    """Deletes every caught message."""
    return Cleared(deleted=await asyncio.to_thread(dev_mail.clear, settings.dev_mail_dir))


def _summary(mail: CaughtMail) -> CaughtMailSummary:
    return CaughtMailSummary(
        id=mail.id,
        received_at=mail.received_at,
        sender=mail.sender,
        recipients=mail.recipients,
        subject=mail.subject,
    )

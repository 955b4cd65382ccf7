"""Campaign batches on a real SMTP server (aiosmtpd): rules, reuse, bounces, retried batches."""

from __future__ import annotations

import email
import email.policy
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

import asyncpg
import pytest
from aiosmtpd.controller import Controller
from temporalio.exceptions import ApplicationError

from activities.campaign import CampaignActivities
from activities.channels import by_name
from activities.channels.email import EmailChannel, SmtpConfig
from activities.channels.links import Links
from activities.messages import MessageActivities
from core.campaign_contracts import BatchInput, StartRunInput
from services.campaign_client import spec_of
from tests.integration.campaign_helpers import make_audience, make_campaign, make_template, uid
from workers.embedded import free_port

pytestmark = pytest.mark.integration


class Inbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.refuse: dict[str, str] = {}

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        self.messages.append(msg)
        return "250 Message accepted"


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    box, port = Inbox(), free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box, port
    finally:
        controller.stop()


@pytest.fixture
async def campaign_acts(
    pool: asyncpg.Pool, inbox: tuple[Inbox, int]
) -> AsyncIterator[CampaignActivities]:
    channel = EmailChannel(
        SmtpConfig(port=inbox[1], sender="Shop <shop@wayline.test>", pool_size=2),
        links=Links("s3cret", "http://wayline"),
    )
    try:
        yield CampaignActivities(pool, MessageActivities(pool, by_name(channel)))
    finally:
        await channel.close()


@pytest.mark.parametrize("chunk", [None, 3], ids=["one-chunk", "chunks-of-3"])
async def test_email_batch_rules_bounces_and_retry(
    pool: asyncpg.Pool,
    inbox: tuple[Inbox, int],
    campaign_acts: CampaignActivities,
    monkeypatch: pytest.MonkeyPatch,
    chunk: int | None,
) -> None:
    """Also in chunks of 3: each chunk's sends overlap the next one's rendering, and the
    batch reports the retryable failure only after every chunk has finished."""
    if chunk is not None:
        monkeypatch.setattr("activities.campaign.PIPELINE_CHUNK", chunk)
    box, _ = inbox
    profiles = [uid("p") for _ in range(8)]
    audience = await make_audience(pool, profiles)
    template = await make_template(
        pool,
        channel="email",
        subject="Hi {{ profile.profile_id }}",
        body="Sale for {{ profile.profile_id }}: {{ campaign.name }}",
        html='<p>Sale! <a href="https://shop.example.com/">shop</a></p>',
        topic="news",
    )
    campaign = await make_campaign(pool, audience, template, channel="email")
    gone, busy, no_address, suppressed = profiles[:4]
    box.refuse[f"{gone}@example.com"] = "550 5.1.1 no such user"
    box.refuse[f"{busy}@example.com"] = "451 4.3.0 try again later"
    await pool.execute("UPDATE profiles SET email = NULL WHERE profile_id = $1", no_address)
    await pool.execute(
        "INSERT INTO suppressions (channel, address, reason) VALUES ('email', $1, 'complaint')",
        f"{suppressed}@example.com",
    )
    row = await pool.fetchrow("SELECT * FROM campaigns WHERE campaign_id = $1", campaign)
    spec, now = spec_of(row), datetime.now(UTC)
    started = await campaign_acts.start_run(
        StartRunInput(spec=spec, run_id="r1", workflow_id="w", now=now)
    )
    assert started.total == 8
    batch = BatchInput(spec=spec, run_id="r1", workflow_id="w", first_seq=0, end_seq=8, now=now)
    with pytest.raises(ApplicationError, match="1 sends to retry"):
        await campaign_acts.send_batch(batch)
    assert len(box.messages) == 4
    del box.refuse[f"{busy}@example.com"]
    result = await campaign_acts.send_batch(batch)  # Temporal's retry of the batch
    assert len(box.messages) == 5, "the retry sends only the one left"
    assert (result.sent, result.failed) == (5, 1)
    assert result.skipped == {
        "no email address": 1,
        "suppressed address (complaint)": 1,
    }
    again = await campaign_acts.send_batch(batch)
    assert again == result and len(box.messages) == 5
    email = campaign_acts.messages.channels["email"]
    assert isinstance(email, EmailChannel)
    # Pooled and reused: the pool's 2 connections, also after the refused recipients
    # (their envelopes are reset), not one per email.
    assert email.pool.connects <= 2
    rows = {
        r["profile_id"]: r
        for r in await pool.fetch(
            "SELECT profile_id, status, reason, error, recipient FROM messages "
            "WHERE campaign_id = $1",
            campaign,
        )
    }
    assert rows[gone]["status"] == "failed" and "no such user" in rows[gone]["error"]
    assert (
        await pool.fetchval(
            "SELECT reason FROM suppressions WHERE channel = 'email' AND address = $1",
            f"{gone}@example.com",
        )
        == "hard_bounce"
    )
    assert rows[busy]["status"] == "sent"
    mail = next(m for m in box.messages if m["To"] == f"{profiles[5]}@example.com")
    assert mail["Subject"] == f"Hi {profiles[5]}"
    assert "List-Unsubscribe-Post" in mail
    plain = mail.get_body(("plain",))
    html = mail.get_body(("html",))
    assert plain is not None and html is not None
    assert plain.get_content().strip() == f"Sale for {profiles[5]}: {campaign}"
    assert "/v1/t/click?token=" in html.get_content()  # tracked like journey emails


async def test_a_campaign_never_mails_a_parsed_out_address(
    pool: asyncpg.Pool, inbox: tuple[Inbox, int], campaign_acts: CampaignActivities
) -> None:
    """A member whose stored email is `bad<someone@example.test` (written straight into
    Postgres, as an old row would be): a failed message naming the address, nothing sent to
    someone@example.test, the rest of the batch delivered."""
    box, _ = inbox
    profiles = [uid("p") for _ in range(3)]
    audience = await make_audience(pool, profiles)
    bad = "bad<someone@example.test"
    await pool.execute("UPDATE profiles SET email = $2 WHERE profile_id = $1", profiles[0], bad)
    template = await make_template(pool, channel="email", subject="Hi", body="Sale")
    campaign = await make_campaign(pool, audience, template, channel="email")
    row = await pool.fetchrow("SELECT * FROM campaigns WHERE campaign_id = $1", campaign)
    spec, now = spec_of(row), datetime.now(UTC)
    await campaign_acts.start_run(StartRunInput(spec=spec, run_id="r1", workflow_id="w", now=now))
    batch = BatchInput(spec=spec, run_id="r1", workflow_id="w", first_seq=0, end_seq=3, now=now)
    result = await campaign_acts.send_batch(batch)
    assert (result.sent, result.failed) == (2, 1)
    assert sorted(str(m["To"]) for m in box.messages) == sorted(
        f"{p}@example.com" for p in profiles[1:]
    )
    failed = await pool.fetchrow(
        "SELECT status, error, recipient FROM messages WHERE campaign_id = $1 AND profile_id = $2",
        campaign,
        profiles[0],
    )
    assert failed is not None and failed["status"] == "failed" and failed["recipient"] == bad
    assert failed["error"].startswith(f"invalid recipient address {bad!r}: not an email address")
    assert await campaign_acts.send_batch(batch) == result  # a retried batch: the same outcome
    assert len(box.messages) == 2

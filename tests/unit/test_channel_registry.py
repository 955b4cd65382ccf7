"""The channel registry against the names the API, validator and workflows read, and each
channel's recipient rule (activities/channels/)."""

from __future__ import annotations

from typing import Any, cast

import asyncpg
import httpx
import pytest

from activities.channels import by_name, configured, remote_names
from activities.channels.base import ChannelError, Delivery, Rendered, Unconfigured
from activities.channels.setup import Setup
from activities.messages import MessageActivities
from core.names import KNOWN_CHANNELS, LOCAL_CHANNELS, REMOTE_CHANNELS
from core.settings import Settings
from journeys.model import Profile

NO_POOL = cast(asyncpg.Pool, None)  # building a channel opens no connection


async def registered() -> dict[str, Any]:
    async with httpx.AsyncClient() as http:
        return dict(configured(Setup(Settings(), NO_POOL, http)))


async def test_registry_has_every_known_channel_under_its_own_name() -> None:
    channels = await registered()
    assert set(channels) == KNOWN_CHANNELS
    assert all(c.name == name for name, c in channels.items())


async def test_local_and_remote_as_core_names_says() -> None:
    channels = await registered()
    assert {name for name, c in channels.items() if c.local} == LOCAL_CHANNELS
    assert remote_names(channels) == sorted(REMOTE_CHANNELS)


def test_local_channels_need_no_set_up() -> None:
    assert set(by_name()) == LOCAL_CHANNELS


def profile(**fields: Any) -> Profile:
    return Profile(profile_id="p1", **fields)


async def test_recipients() -> None:
    channels = await registered()
    full = profile(
        email="a@example.com", phone="+15550001111", attributes={"push_tokens": ["t1", "", 7, "t2"]}
    )
    assert {name: c.recipient(full) for name, c in channels.items()} == {
        "log": "a@example.com",
        "webhook": "a@example.com",
        "in_app": "p1",
        "email": "a@example.com",
        "sms": "+15550001111",
        "push": "t1,t2",
    }
    bare = profile()
    assert {name: c.recipient(bare) for name, c in channels.items()} == {
        "log": "p1",
        "webhook": "p1",
        "in_app": "p1",
        "email": None,
        "sms": None,
        "push": None,
    }
    assert [channels[n].missing for n in ("email", "sms", "push", "webhook")] == [
        "no email address",
        "no phone number",
        "no push token",
        "no recipient",
    ]


async def test_a_channel_not_given_fails_its_sends_for_good() -> None:
    acts = MessageActivities(NO_POOL, by_name())
    channel = acts.channel("email")
    assert isinstance(channel, Unconfigured) and not channel.local
    with pytest.raises(ChannelError, match="'email' is not set up") as caught:
        await channel.send(Delivery("m1", "email", "p1"), Rendered("a@b.c", None, "hi"))
    assert not caught.value.retryable

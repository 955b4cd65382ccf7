"""The channels, one module each behind `base.Channel`; this table is their registration.

A new channel is a module with its Channel class and a `configured(setup)` factory, a line
in CHANNELS below, and its name in `core.names` (LOCAL_CHANNELS or REMOTE_CHANNELS), which
the API, the validator and the workflows read without importing any provider code.
tests/unit/test_channel_registry.py holds the two to the same names.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from activities.channels import email, in_app, log, push, sms, webhook
from activities.channels.base import Channel
from activities.channels.in_app import InAppChannel
from activities.channels.log import LogChannel
from activities.channels.setup import Setup

CHANNELS: tuple[Callable[[Setup], Channel], ...] = (
    log.configured,
    in_app.configured,
    webhook.configured,
    email.configured,
    sms.configured,
    push.configured,
)


def configured(setup: Setup) -> dict[str, Channel]:
    """Every channel, as the worker's settings configure it, by name."""
    return by_name(*(build(setup) for build in CHANNELS))


def by_name(*channels: Channel) -> dict[str, Channel]:
    """The local channels (they need no set-up) and these, by name."""
    local: tuple[Channel, ...] = (LogChannel(), InAppChannel())
    return {c.name: c for c in (*local, *channels)}


def remote_names(channels: Mapping[str, Channel]) -> list[str]:
    """The channels that each get a task queue of their own (decision 5)."""
    return sorted(name for name, c in channels.items() if not c.local)

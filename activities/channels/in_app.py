"""The in-app channel: an inbox item per message, read by the app over the API."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from activities.channels.base import Local
from activities.channels.setup import Setup
from activities.rules import Outgoing
from db.sql import q
from journeys.model import Profile


class InAppChannel(Local):
    name = "in_app"

    def recipient(self, profile: Profile) -> str | None:
        return profile.profile_id

    async def write(self, conn: Any, outs: Sequence[Outgoing]) -> None:
        """The inbox items, in the transaction of their ledger rows: both or neither."""
        await conn.execute(
            q("insert_inbox_batch"),
            [o.message_id for o in outs],
            [o.profile_id for o in outs],
            [o.subject for o in outs],
            [o.body or "" for o in outs],
        )


def configured(setup: Setup) -> InAppChannel:
    return InAppChannel()

"""Signed links back to the API that channels put into messages: unsubscribe and SMS status.

Without a signing secret there are none: a link nobody can verify is worse than no link.
"""

from __future__ import annotations

from dataclasses import dataclass

from activities.channels.base import Delivery
from core.signing import UnsubscribeScope, sign_token, unsubscribe_token


@dataclass(frozen=True)
class Links:
    secret: str | None = None
    public_url: str = "http://127.0.0.1:8000"

    @property
    def base(self) -> str:
        return self.public_url.rstrip("/")

    def unsubscribe(self, profile_id: str, channel: str, topic: str | None) -> str | None:
        """The one-click unsubscribe URL of this profile, channel and topic (api/routes)."""
        if not self.secret:
            return None
        token = unsubscribe_token(self.secret, UnsubscribeScope(profile_id, channel, topic))
        return f"{self.base}/v1/unsubscribe?token={token}"

    def sms_status(self, d: Delivery) -> str | None:
        """The delivery-status callback URL, signed for this message (api/routes/sms.py)."""
        if not self.secret:
            return None
        token = sign_token(
            self.secret, "sms-status", [d.message_id, d.profile_id, d.journey.get("id")]
        )
        return f"{self.base}/v1/sms/status?token={token}"

"""Previews and proofs: a template rendered for one profile through the channel that sends
it, by the same code as every journey and campaign send (`MessageActivities.render`).

A preview returns every part as the provider would get it: subject, text and HTML (layout
and tracked links included), the SMS segments, the FCM request bodies, the webhook body.
A proof renders the same way for each test address and sends it, with a ledger row marked
`proof`: no consent, suppression or caps apply, caps never count it, reports never show it.
"""

from __future__ import annotations

from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.attempts import gave_up, last_attempt
from activities.channels.base import AddressError, ChannelError, Delivery, Rendered
from activities.channels.push import fcm_message
from activities.channels.sms import count_segments
from activities.channels.webhook import payload
from activities.messages import MessageActivities
from core.content_contracts import (
    PreviewResult,
    ProofInput,
    ProofResult,
    ProofSent,
    RenderRequest,
    SmsParts,
)
from core.names import proof_message_id
from db.sql import q
from journeys.expressions import ExpressionError, build_context
from journeys.model import Profile


class PreviewActivities:
    def __init__(self, messages: MessageActivities) -> None:
        self.messages = messages
        self.pool = messages.pool

    async def render(self, req: RenderRequest, profile: Profile, message_id: str) -> Rendered:
        """The message this profile would get, read from the template as it is now."""
        template = await self.pool.fetchrow(q("get_send_template"), req.template)
        if template is None:
            raise ExpressionError(f"template {req.template!r} does not exist")
        ctx = build_context(
            profile=profile, event=req.event, events={}, journey={}, vars=req.vars, now=req.now
        )
        if req.campaign is not None:
            ctx["campaign"] = req.campaign
        fragments = await self.messages.fragments(template["channel"], template)
        return await self.messages.render(
            template["channel"], req.template, template, ctx, profile, message_id, None, fragments
        )

    @activity.defn(name="preview_message")
    async def preview_message(self, req: RenderRequest) -> PreviewResult:
        try:
            rendered = await self.render(req, req.profile, req.message_id)
        except (ExpressionError, AddressError) as exc:
            return PreviewResult(
                message_id=req.message_id,
                template=req.template,
                channel=req.channel,
                error=str(exc),
            )
        return preview_of(req, rendered)

    @activity.defn(name="send_proofs")
    async def send_proofs(self, inp: ProofInput) -> ProofResult:
        """Each address once: a retry finds the proofs already sent or failed."""
        outcomes: list[ProofSent] = []
        retry: list[str] = []
        for index, to in enumerate(inp.to):
            outcome = await self._proof(inp, proof_message_id(inp.workflow_id, index), to)
            if outcome is None:
                retry.append(to)
            else:
                outcomes.append(outcome)
        if retry:
            raise ApplicationError(
                f"{len(retry)} proofs to retry: {retry[0]}", type="ChannelRetryable"
            )
        return ProofResult(messages=outcomes)

    async def _proof(self, inp: ProofInput, message_id: str, to: str) -> ProofSent | None:
        """One proof: rendered, claimed, sent; None when the provider asks for a retry."""
        req = inp.render
        profile = addressed(req.profile, req.channel, to)
        try:
            rendered: Rendered | None = await self.render(req, profile, message_id)
            error = None
        except (ExpressionError, AddressError) as exc:
            rendered, error = None, str(exc)
        row = await self._claim(inp, message_id, profile, rendered, error)
        if row["status"] in ("sent", "failed"):
            return ProofSent(message_id=message_id, to=to, status=row["status"], error=row["error"])
        assert rendered is not None
        return await self._deliver(req.channel, message_id, profile, to, rendered)

    async def _claim(
        self,
        inp: ProofInput,
        message_id: str,
        profile: Profile,
        rendered: Rendered | None,
        error: str | None,
    ) -> Any:
        template = await self.messages.template(inp.render.template)
        row = await self.pool.fetchrow(
            q("claim_proof"),
            message_id,
            profile.profile_id,
            inp.workflow_id,
            inp.render.channel,
            inp.render.template,
            "failed" if rendered is None else "sending",
            rendered.recipient if rendered else None,
            rendered.subject if rendered else None,
            rendered.body if rendered else None,
            bool(template["transactional"]) if template else False,
            rendered.locale if rendered else None,
            error,
        )
        assert row is not None
        return row

    async def _deliver(
        self, channel: str, message_id: str, profile: Profile, to: str, rendered: Rendered
    ) -> ProofSent | None:
        try:
            await self.messages.call_provider(
                Delivery(message_id, channel, profile.profile_id), rendered
            )
        except ChannelError as exc:
            final = last_attempt()
            if exc.retryable and final is None:
                return None
            reason = gave_up(exc, final) if exc.retryable and final is not None else str(exc)
            await self.pool.execute(q("mark_message"), message_id, "failed", reason)
            return ProofSent(message_id=message_id, to=to, status="failed", error=reason)
        await self.pool.execute(q("mark_message"), message_id, "sent", None)
        return ProofSent(message_id=message_id, to=to, status="sent")


def addressed(profile: Profile, channel: str, to: str) -> Profile:
    """The profile with its address on `channel` replaced by a test address."""
    if channel == "email":
        return profile.model_copy(update={"email": to})
    if channel == "sms":
        return profile.model_copy(update={"phone": to})
    attributes = {**profile.attributes, "push_tokens": [to]}
    return profile.model_copy(update={"attributes": attributes})


def preview_of(req: RenderRequest, rendered: Rendered) -> PreviewResult:
    """The rendered message, and what its channel would hand the provider."""
    result = PreviewResult(
        message_id=req.message_id,
        template=req.template,
        channel=req.channel,
        locale=rendered.locale,
        recipient=rendered.recipient,
        subject=rendered.subject,
        body=rendered.body,
        html=rendered.html,
        unsubscribe_url=rendered.unsubscribe_url,
    )
    if req.channel == "sms":
        parts = count_segments(rendered.body)
        result.sms = SmsParts(segments=parts.count, encoding=parts.encoding, units=parts.units)
    elif req.channel == "push":
        devices = [d for d in (rendered.recipient or "").split(",") if d]
        result.push = [fcm_message(req.message_id, rendered, d) for d in devices]
    elif req.channel == "webhook":
        delivery = Delivery(req.message_id, req.channel, req.profile.profile_id)
        result.webhook = payload(delivery, rendered)
    return result

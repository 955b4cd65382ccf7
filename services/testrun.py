"""Test mode's responder: what each side effect of a simulated run would have done.

Messages are rendered from the stored templates, action and fetch requests are rendered
from the stored specs (and answered with the caller's canned responses), profile updates
are applied to the test profile only. Nothing is sent and nothing is written.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from core.connectors import ActionSpec, DataSourceSpec
from core.contracts import UpdateProfileInput
from journeys.expressions import ExpressionError, build_context, compile_template
from journeys.interpreter import (
    ActionDone,
    AssignmentRecorded,
    CallAction,
    FetchData,
    Input,
    JourneyState,
    Jumped,
    JumpToJourney,
    MessageSent,
    ProfileUpdated,
    RecordAssignment,
    SendMessage,
    UpdateProfile,
)
from services.action_requests import CallFailed, pick, render_request
from services.profile_updates import apply_update


class TestResponder:
    def __init__(
        self,
        *,
        templates: dict[str, dict[str, Any]],
        actions: dict[str, Any],
        sources: dict[str, Any],
        responses: dict[str, dict[str, Any]],
        failing: set[str],
        journey_name: str,
    ) -> None:
        self.templates = templates
        self.actions = actions
        self.sources = sources
        self.responses = responses
        self.failing = failing
        self.journey_name = journey_name

    def __call__(
        self, command: Any, state: JourneyState, now: datetime
    ) -> tuple[Input, dict[str, Any]]:
        if isinstance(command, SendMessage):
            return self._message(command, state, now)
        if isinstance(command, CallAction | FetchData):
            return self._call(command)
        if isinstance(command, UpdateProfile):
            inp = UpdateProfileInput(
                update_id="test",
                profile_id=state.profile_id,
                set=command.set,
                increment=dict(command.increment),
            )
            profile = state.profile.model_copy(
                update={"attributes": apply_update(state.profile.attributes, inp)}
            )
            return (
                ProfileUpdated(node=command.node, profile=profile),
                {"kind": "update_profile", "set": command.set, "increment": command.increment},
            )
        if isinstance(command, RecordAssignment):
            return (
                AssignmentRecorded(node=command.node),
                {"kind": "assignment", "variant": command.variant},
            )
        if isinstance(command, JumpToJourney):
            return Jumped(node=command.node, ok=True), {"kind": "jump", "journey": command.journey}
        raise ValueError(f"test mode cannot answer {command!r}")

    def _message(
        self, command: SendMessage, state: JourneyState, now: datetime
    ) -> tuple[Input, dict[str, Any]]:
        record: dict[str, Any] = {
            "kind": "message",
            "channel": command.channel,
            "template": command.template,
        }
        message_id = f"test:{command.node}:{command.visit}"
        template = self.templates.get(command.template)
        try:
            if template is None:
                raise ExpressionError(f"template {command.template!r} does not exist")
            ctx = build_context(
                profile=state.profile,
                event=state.entry_event,
                events=state.events,
                vars=state.vars,
                now=now,
                journey={
                    "id": state.journey_id,
                    "version": state.version,
                    "name": self.journey_name,
                },
            )
            subject = template["subject"]
            record["subject"] = compile_template(subject).render(ctx) if subject else None
            record["body"] = compile_template(template["body"]).render(ctx)
        except ExpressionError as exc:
            record["error"] = str(exc)
            return MessageSent(node=command.node, message_id=message_id, status="failed"), record
        return MessageSent(node=command.node, message_id=message_id, status="sent"), record

    def _call(self, command: CallAction | FetchData) -> tuple[Input, dict[str, Any]]:
        is_action = isinstance(command, CallAction)
        name = command.action if isinstance(command, CallAction) else command.source
        record: dict[str, Any] = {"kind": "action" if is_action else "fetch", "name": name}
        raw = (self.actions if is_action else self.sources).get(name)
        try:
            if raw is None:
                raise CallFailed(f"{record['kind']} {name!r} does not exist")
            spec = (
                ActionSpec.model_validate(raw) if is_action else DataSourceSpec.model_validate(raw)
            )
            method = spec.method if isinstance(spec, ActionSpec) else "GET"
            record["request"] = render_request(spec, method, command.params)
        except CallFailed as exc:
            record["error"] = str(exc)
            return ActionDone(node=command.node, ok=False, error=str(exc)), record
        if name in self.failing:
            record["error"] = "failed (as asked by the test run)"
            return ActionDone(node=command.node, ok=False, error=record["error"]), record
        response = pick(self.responses.get(name, {}), spec.response_fields)
        record["response"] = response
        return ActionDone(node=command.node, ok=True, response=response), record

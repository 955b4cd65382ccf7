"""Pins the ids Wayline persists and sends to providers as idempotency keys.

Message ids, step ids, action call ids (all `core.names.step_id`) and campaign message
ids (`campaign_message_id`) are stored in Postgres and carried by every provider request
(architecture decision 3). A refactor that changed how one is built would make every retried
or replayed send in flight look new, so it would go out twice, and a test that only compares
two freshly built ids would not notice. These tests compare against literal strings and
against the ids that the committed histories (tests/histories/*.json) recorded.
"""

from __future__ import annotations

import asyncio
import base64
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from temporalio import workflow
from temporalio.client import WorkflowHistory
from temporalio.worker import (
    Interceptor,
    Replayer,
    StartActivityInput,
    StartLocalActivityInput,
    WorkflowInboundInterceptor,
    WorkflowInterceptorClassInput,
    WorkflowOutboundInterceptor,
)

from campaigns.plan import campaign_decision_request, campaign_message_id
from core.contracts import SendInput
from core.converter import data_converter
from core.names import entity_message_id, journey_workflow_id, proof_message_id, step_id
from journeys.entry_key import key_text
from journeys.model import Event, Profile
from journeys.runtime import JourneyState
from workflows.journey import JourneyWorkflow
from workflows.sandbox import workflow_runner
from workflows.steps import StepContext

HISTORIES = sorted((Path(__file__).parent.parent / "histories").glob("journey-*.json"))
WORKFLOW_ID = "journey:abandoned-cart:p-1"
RUN_ID = "9a2cdc90-936f-448e-a83b-d42f389e0818"


# --- literal values --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("workflow_id", "node", "visit", "expected"),
    [
        (WORKFLOW_ID, "remind", 1, "5c3f10a6-231f-5a3c-a10f-8d8328838276"),
        (WORKFLOW_ID, "remind", 2, "f7647996-80fd-557c-b719-e6e9d0d7c3d2"),
        (f"{WORKFLOW_ID}:order-7", "remind", 1, "fd5c3702-54dd-52e8-bff9-29827fc16cd7"),
    ],
)
def test_message_and_step_ids_are_pinned(
    workflow_id: str, node: str, visit: int, expected: str
) -> None:
    """A journey's message id is the id of its step: the messages ledger and the step ledger
    (api/routes/reports.py joins them by it) hold the same string."""
    assert step_id(workflow_id, RUN_ID, node, visit) == expected


@pytest.mark.parametrize(
    ("visit", "entity", "expected"),
    [
        (1, ("booking", "b-7"), "0e593f0f-a18e-52bb-90db-22a60ad06c91"),
        (2, ("booking", "3"), "8ce0d831-2ee0-54ba-83e0-3db51946742f"),
    ],
)
def test_per_entity_journey_message_ids_are_pinned(
    visit: int, entity: tuple[str, str], expected: str
) -> None:
    """A message node with `per` sends one message per record of a visit, each its own id:
    a retried or replayed send of a booking finds that booking's ledger row."""
    found = entity_message_id(WORKFLOW_ID, RUN_ID, "remind", visit, *entity)
    assert found == expected


@pytest.mark.parametrize(
    ("journey", "profile", "key", "expected"),
    [
        ("abandoned-cart", "p-1", None, WORKFLOW_ID),
        ("abandoned-cart", "p-1", "order-7", f"{WORKFLOW_ID}:order-7"),
        ("abandoned-cart", "p-1", key_text(42), f"{WORKFLOW_ID}:42"),
        ("abandoned-cart", "a:b", key_text("c:d/é"), "journey:abandoned-cart:a:b:c%3Ad%2F%C3%A9"),
    ],
)
def test_journey_workflow_ids_are_pinned(
    journey: str, profile: str, key: str | None, expected: str
) -> None:
    """The workflow id names the instance: the entry ledger and every message and step id
    embed it (decision 13), so a keyed instance's id is pinned as the unkeyed one."""
    assert journey_workflow_id(journey, profile, key) == expected


@pytest.mark.parametrize("path", HISTORIES, ids=lambda p: p.stem)
def test_journey_workflow_id_rebuilds_the_recorded_ids(path: Path) -> None:
    """Unkeyed journeys keep decision 1's id: the committed runs' ids come back unchanged."""
    started = _events(path)[0]["workflowExecutionStartedEventAttributes"]
    inp = _decode(started["input"]["payloads"][0])
    assert inp.get("key") is None
    assert journey_workflow_id(inp["journey_id"], inp["profile_id"]) == started["workflowId"]


def test_action_call_id_is_pinned() -> None:
    """The call id is the `Idempotency-Key` of a custom action or data source request."""
    ctx = StepContext(
        workflow_id=WORKFLOW_ID, entry_run_id=RUN_ID, task_queue="wayline", state=_state()
    )
    assert ctx.id_for("lookup", 1) == "d780d888-b786-5988-847e-f76caa4e5e4b"


@pytest.mark.parametrize(
    ("step", "expected"),
    [
        (None, "48ce7e92-e3ea-5a68-965b-54188cbb406d"),
        ("follow_up", "f10b5516-0771-5204-b13f-2349af641f56"),
    ],
)
def test_campaign_message_ids_are_pinned(step: str | None, expected: str) -> None:
    assert campaign_message_id("spring", "20261123T025417Z-5afa15", "p-1", step) == expected


@pytest.mark.parametrize(
    ("entity", "expected"),
    [
        (("booking", "b-7"), "a52d7362-ddd9-5c95-aae6-cf2cadd81e01"),
        (("booking", "3"), "28ab4404-571b-5924-b835-cae0965b316f"),
    ],
)
def test_per_entity_campaign_message_ids_are_pinned(entity: tuple[str, str], expected: str) -> None:
    """One id per (run, profile, record): a retried per-booking batch finds each booking's."""
    found = campaign_message_id("spring", "20261123T025417Z-5afa15", "p-1", entity=entity)
    assert found == expected


def test_campaign_decision_requests_are_pinned() -> None:
    """A retried batch finds its members' propositions by this id (not decided twice)."""
    found = campaign_decision_request("spring", "20261123T025417Z-5afa15", "p-1", "home-hero")
    assert found == "campaign:5c19917c-1bd5-5568-b4fe-610d6f81ef6c"


def _state() -> JourneyState:
    at = datetime(2026, 11, 23, tzinfo=UTC)
    return JourneyState(
        journey_id="abandoned-cart",
        version=1,
        profile_id="p-1",
        entered_at=at,
        deadline=at,
        entry_event=Event(event_id="e-1", name="cart.updated", profile_id="p-1", timestamp=at),
        profile=Profile(profile_id="p-1"),
    )


# --- the ids the committed histories recorded --------------------------------------------


def test_the_histories_record_message_ids() -> None:
    """The checks below would pass vacuously if no history held a send."""
    assert sum(len(_recorded_message_ids(_events(p))) for p in HISTORIES) >= 5


@pytest.mark.parametrize("path", HISTORIES, ids=lambda p: p.stem)
def test_step_id_recomputes_the_recorded_message_ids(path: Path) -> None:
    """From the history's own inputs (workflow id, run id, the message nodes of the entered
    definition and of any version it migrated to, first visit), today's `step_id` gives back
    every message id the run recorded."""
    events = _events(path)
    started = events[0]["workflowExecutionStartedEventAttributes"]
    definitions = [_definition(events), *_migrated_definitions(events)]
    nodes = [n for d in definitions for n, spec in d["nodes"].items() if spec["type"] == "message"]
    workflow_id, run_id = started["workflowId"], started["firstExecutionRunId"]
    ids = {step_id(workflow_id, run_id, n, 1) for n in nodes}
    for selected in _local_results(events, "select_entity_records"):  # `per` nodes
        for r in selected["records"]:
            ids |= {
                entity_message_id(workflow_id, run_id, n, 1, r["type"], r["key"]) for n in nodes
            }
    assert set(_recorded_message_ids(events)) <= ids


@pytest.mark.parametrize("path", HISTORIES, ids=lambda p: p.stem)
async def test_replayed_workflow_sends_the_recorded_message_ids(path: Path) -> None:
    """Replaying the history, JourneyWorkflow today asks to send with the very ids it
    recorded: the wiring (which workflow id, run id, node, visit) is pinned, not only the
    formula. Local activities are not re-run in a replay, so only the id is compared."""
    text = await asyncio.to_thread(path.read_text)
    events = json.loads(text)["events"]
    workflow_id = events[0]["workflowExecutionStartedEventAttributes"]["workflowId"]
    capture = _CaptureSends()
    replayer = Replayer(
        workflows=[JourneyWorkflow],
        data_converter=data_converter,
        workflow_runner=workflow_runner(),
        interceptors=[capture],
    )
    result = await replayer.replay_workflow(WorkflowHistory.from_json(workflow_id, text))
    assert result.replay_failure is None
    assert capture.message_ids == _recorded_message_ids(events)


class _CaptureSends(Interceptor):
    """Collects the message id of every `send_message` the workflow schedules."""

    def __init__(self) -> None:
        self.message_ids: list[str] = []

    def workflow_interceptor_class(
        self, input: WorkflowInterceptorClassInput
    ) -> type[WorkflowInboundInterceptor]:
        ids = self.message_ids

        class Outbound(WorkflowOutboundInterceptor):
            def start_local_activity(
                self, input: StartLocalActivityInput
            ) -> workflow.ActivityHandle[Any]:
                _note(ids, input.activity, input.args)
                return super().start_local_activity(input)

            def start_activity(self, input: StartActivityInput) -> workflow.ActivityHandle[Any]:
                _note(ids, input.activity, input.args)
                return super().start_activity(input)

        class Inbound(WorkflowInboundInterceptor):
            def init(self, outbound: WorkflowOutboundInterceptor) -> None:
                super().init(Outbound(outbound))

        return Inbound


def _note(ids: list[str], activity: str, args: Any) -> None:
    if activity == "send_message":
        [send] = args
        assert isinstance(send, SendInput)
        ids.append(send.message_id)


def _events(path: Path) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = json.loads(path.read_text())["events"]
    return events


def _local_results(events: list[dict[str, Any]], activity: str) -> list[dict[str, Any]]:
    """The results of one local activity, in order, from the history's markers."""
    found = []
    for event in events:
        details = event.get("markerRecordedEventAttributes", {}).get("details", {})
        if "data" not in details or "result" not in details:
            continue
        meta = _decode(details["data"]["payloads"][0])
        if meta["activity_type"] == activity:
            found.append(_decode(details["result"]["payloads"][0]))
    return found


def _recorded_message_ids(events: list[dict[str, Any]]) -> list[str]:
    return [r["message_id"] for r in _local_results(events, "send_message")]


def _definition(events: list[dict[str, Any]]) -> dict[str, Any]:
    [entered] = _local_results(events, "enter_journey")
    definition: dict[str, Any] = entered["definition"]
    return definition


def _migrated_definitions(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The versions `migrate` signals moved the run to (core.contracts.MigrateSignal)."""
    signals = [e.get("workflowExecutionSignaledEventAttributes", {}) for e in events]
    return [
        _decode(s["input"]["payloads"][0])["definition"]
        for s in signals
        if s.get("signalName") == "migrate"
    ]


def _decode(payload: dict[str, Any]) -> Any:
    return json.loads(base64.b64decode(payload["data"]))


def test_proof_message_id_is_pinned() -> None:
    """A retried proof activity finds its ledger rows by these ids (activities/previews.py)."""
    assert proof_message_id("proof:2b1f", 0) == "proof:2b1f:0"
    assert proof_message_id("proof:2b1f", 12) == "proof:2b1f:12"

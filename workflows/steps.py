"""Journey steps other than waits and sends, as Temporal calls (deterministic code only).

Each function takes the interpreter's command and returns the input to feed back. Ids are
derived like message ids, so a retried or replayed step meets its own ledger row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from core.contracts import (
        ActionCallInput,
        ActionCallResult,
        ActionRoute,
        AssignmentInput,
        DecideInput,
        DecideResult,
        JumpInput,
        JumpResult,
        SelectRecordsInput,
        SelectRecordsResult,
        SendTimeAnswer,
        SendTimeInput,
        UpdateProfileInput,
    )
    from core.names import step_id
    from journeys.interpreter import (
        ActionDone,
        AssignmentRecorded,
        CallAction,
        ChooseSendTime,
        Decide,
        FetchData,
        Input,
        JourneyState,
        Jumped,
        JumpToJourney,
        ProfileUpdated,
        RecordAssignment,
        RecordsSelected,
        SelectRecords,
        SendTimeChosen,
        UpdateProfile,
    )
    from journeys.model import Profile
    from journeys.nodes.decide import undecided

LOCAL_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=30)
)
StepCommand = (
    CallAction
    | FetchData
    | UpdateProfile
    | RecordAssignment
    | JumpToJourney
    | ChooseSendTime
    | Decide
)


@dataclass
class StepContext:
    workflow_id: str
    entry_run_id: str
    task_queue: str
    state: JourneyState
    dry_run: bool = False
    routes: dict[str, ActionRoute] = field(default_factory=dict)

    def id_for(self, node: str, visit: int) -> str:
        return step_id(self.workflow_id, self.entry_run_id, node, visit)

    @property
    def journey(self) -> dict[str, object]:
        return {"id": self.state.journey_id, "version": self.state.version}


async def run_step(command: StepCommand, ctx: StepContext) -> Input:
    if isinstance(command, CallAction | FetchData):
        return await _call(command, ctx)
    if isinstance(command, UpdateProfile):
        return await _update_profile(command, ctx)
    if isinstance(command, RecordAssignment):
        return await _record_assignment(command, ctx)
    if isinstance(command, ChooseSendTime):
        return await _choose_send_time(command, ctx)
    if isinstance(command, Decide):
        return await _decide(command, ctx)
    return await _jump(command, ctx)


async def _choose_send_time(command: ChooseSendTime, ctx: StepContext) -> SendTimeChosen:
    """A local read of the engagement model: the profile's best time from now on."""
    answer = await workflow.execute_local_activity(
        "choose_send_time",
        SendTimeInput(
            profile_id=ctx.state.profile_id,
            goal=command.goal,
            within_seconds=command.within_seconds,
            now=workflow.now(),
        ),
        result_type=SendTimeAnswer,
        start_to_close_timeout=timedelta(seconds=30),
        retry_policy=LOCAL_RETRY,
    )
    return SendTimeChosen(node=command.node, send_at=answer.send_at)


async def select_records(command: SelectRecords, ctx: StepContext) -> RecordsSelected:
    """A local read of the profile's matching records; its answer is in the history."""
    answer = await workflow.execute_local_activity(
        "select_entity_records",
        SelectRecordsInput(profile_id=ctx.state.profile_id, per=command.per, now=workflow.now()),
        result_type=SelectRecordsResult,
        start_to_close_timeout=timedelta(seconds=30),
        retry_policy=LOCAL_RETRY,
    )
    return RecordsSelected(
        node=command.node, visit=command.visit, records=answer.records, error=answer.error
    )


async def _call(command: CallAction | FetchData, ctx: StepContext) -> ActionDone:
    """A regular activity (on the action's own queue when it is rate-limited), retried with
    the action's policy; retries exhausted is an error the node's on_error can take."""
    kind, name = (
        ("action", command.action) if isinstance(command, CallAction) else ("fetch", command.source)
    )
    route = ctx.routes.get(f"{kind}:{name}") or ActionRoute()
    inp = ActionCallInput(
        call_id=ctx.id_for(command.node, command.visit),
        kind=kind,
        name=name,
        params=command.params,
        profile_id=ctx.state.profile_id,
        journey=ctx.journey,
        node_id=command.node,
        dry_run=ctx.dry_run,
        max_attempts=route.max_attempts,
    )
    retry = RetryPolicy(
        initial_interval=timedelta(seconds=route.initial_interval_seconds),
        backoff_coefficient=route.backoff,
        maximum_interval=timedelta(seconds=route.max_interval_seconds),
        maximum_attempts=route.max_attempts,
    )
    try:
        result = await workflow.execute_activity(
            "call_action" if kind == "action" else "fetch_data",
            inp,
            result_type=ActionCallResult,
            task_queue=route.task_queue or ctx.task_queue,
            start_to_close_timeout=timedelta(seconds=route.timeout_seconds + 5),
            heartbeat_timeout=timedelta(seconds=10),
            retry_policy=retry,
        )
    except ActivityError as exc:
        return ActionDone(node=command.node, ok=False, error=str(exc.cause or exc))
    return ActionDone(node=command.node, ok=result.ok, response=result.response, error=result.error)


async def _update_profile(command: UpdateProfile, ctx: StepContext) -> ProfileUpdated:
    inp = UpdateProfileInput(
        update_id=ctx.id_for(command.node, command.visit),
        profile_id=ctx.state.profile_id,
        set=command.set,
        increment={k: float(v) for k, v in command.increment.items()},
    )
    if ctx.dry_run:
        return ProfileUpdated(node=command.node, profile=ctx.state.profile)
    profile = await workflow.execute_local_activity(
        "update_profile",
        inp,
        result_type=Profile,
        start_to_close_timeout=timedelta(seconds=30),
        retry_policy=LOCAL_RETRY,
    )
    return ProfileUpdated(node=command.node, profile=profile)


async def _record_assignment(command: RecordAssignment, ctx: StepContext) -> AssignmentRecorded:
    await workflow.execute_local_activity(
        "record_assignment",
        AssignmentInput(
            entry_run_id=ctx.entry_run_id,
            node_id=command.node,
            journey_id=ctx.state.journey_id,
            version=ctx.state.version,
            profile_id=ctx.state.profile_id,
            variant=command.variant,
        ),
        start_to_close_timeout=timedelta(seconds=30),
        retry_policy=LOCAL_RETRY,
    )
    return AssignmentRecorded(node=command.node)


async def _jump(command: JumpToJourney, ctx: StepContext) -> Jumped:
    if ctx.dry_run:
        return Jumped(node=command.node, ok=True)
    result = await workflow.execute_local_activity(
        "jump_to_journey",
        JumpInput(
            jump_id=ctx.id_for(command.node, command.visit),
            target=command.journey,
            profile_id=ctx.state.profile_id,
            entry_event=ctx.state.entry_event,
            from_journey=ctx.state.journey_id,
        ),
        result_type=JumpResult,
        start_to_close_timeout=timedelta(seconds=30),
        retry_policy=LOCAL_RETRY,
    )
    return Jumped(node=command.node, ok=result.ok, error=result.error)


async def _decide(command: Decide, ctx: StepContext) -> ActionDone:
    """A local activity (a few queries); its step id is the request id, so a retry does not
    propose, count or cap twice, and seeds the same exploration."""
    state = ctx.state
    if ctx.dry_run:  # no proposition recorded, no cap taken
        return ActionDone(node=command.node, ok=True, response=undecided(command.decision))
    inp = DecideInput(
        request_id=ctx.id_for(command.node, command.visit),
        decision=command.decision,
        profile_id=state.profile_id,
        event=state.entry_event.model_dump(mode="json"),
        context={"journey": ctx.journey, "vars": state.vars},
    )
    result = await workflow.execute_local_activity(
        "decide",
        inp,
        result_type=DecideResult,
        start_to_close_timeout=timedelta(seconds=30),
        retry_policy=LOCAL_RETRY,
    )
    return ActionDone(node=command.node, ok=result.ok, response=result.response, error=result.error)

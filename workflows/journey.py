"""JourneyWorkflow: one per (journey, profile[, key]), a deterministic driver of
the pure interpreter.

It only turns the interpreter's commands into Temporal calls: `Wait` into a timer raced
against the event signal, `SendMessage` into an activity, `LoadProfile` into a local
activity, `Finish` into the ledger update and the workflow's end. The interpreter's trace
of node visits is buffered and written to the step ledger with the send and the finish, or
in one `record_steps` local activity when the journey comes to rest in a wait.
"""

from __future__ import annotations

import zlib
from datetime import timedelta

from temporalio import workflow
from temporalio.common import SearchAttributeKey
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from core.contracts import (
        ActionRoute,
        DeferredSend,
        EnterInput,
        EnterResult,
        EventSignal,
        FinishInput,
        JourneyCarry,
        JourneyInput,
        LoadProfileInput,
        MigrateSignal,
        MigrationApplied,
        MigrationRecorded,
        SendInput,
        SendResult,
        StepBatch,
    )
    from core.names import (
        EVENT_SIGNAL,
        JOURNEY_WORKFLOW,
        LOCAL_CHANNELS,
        MIGRATE_SIGNAL,
        STATE_QUERY,
        channel_task_queue,
        entity_message_id,
        step_id,
    )
    from core.retries import SEND_RETRY
    from journeys.interpreter import (
        Command,
        EventReceived,
        Finish,
        Input,
        JourneyState,
        LoadProfile,
        MessageSent,
        ProfileLoaded,
        SelectRecords,
        SendMessage,
        Start,
        StepResult,
        StepTrace,
        TimerFired,
        Wait,
        step,
    )
    from journeys.migration import Refusal, migrate
    from journeys.model import Event, JourneyDefinition, Profile
    from journeys.nodes.message import MessageNode
    from journeys.trace import merge
    from workflows.steps import LOCAL_RETRY, StepCommand, StepContext, run_step, select_records

CURRENT_NODE = SearchAttributeKey.for_keyword("CurrentNode")
JOURNEY_VERSION = SearchAttributeKey.for_int("JourneyVersion")
# Runs recorded before migrations replay as if a `migrate` signal had not come.
MIGRATION_PATCH = "version-migration"
# Runs recorded before the step ledger replay without its `record_steps` local activity.
STEP_LEDGER_PATCH = "step-ledger"
HISTORY_LIMIT = 5_000


@workflow.defn(name=JOURNEY_WORKFLOW)
class JourneyWorkflow:
    def __init__(self) -> None:
        self._inbox: list[Event] = []
        self._state: JourneyState | None = None
        self._definition: JourneyDefinition | None = None
        self._input: JourneyInput | None = None
        self._entry_run_id = ""
        self._node_attr: str | None = None
        self._routes: dict[str, ActionRoute] = {}
        self._steps: list[StepTrace] = []  # step ledger records not yet written
        self._ledger: bool | None = None  # whether this run flushes them at rest (patch)
        self._deferred: str | None = None  # a quiet-hours deferral in the ledger, not yet sent
        self._migrations: list[MigrateSignal] = []  # applied at the next rest point

    @workflow.signal(name=EVENT_SIGNAL)
    def on_event(self, signal: EventSignal) -> None:
        self._inbox.append(signal.event)

    @workflow.signal(name=MIGRATE_SIGNAL)
    def on_migrate(self, signal: MigrateSignal) -> None:
        self._migrations.append(signal)

    @workflow.query(name=STATE_QUERY)
    def state(self) -> JourneyState | None:
        return self._state

    @workflow.run
    async def run(self, inp: JourneyInput) -> str:
        self._input = inp
        if inp.carry is not None:
            result = self._resume(inp.carry)
        else:
            entered = await self._enter(inp)
            if not entered.allowed or entered.definition is None or entered.profile is None:
                return f"not entered: {entered.reason}"
            self._definition = JourneyDefinition.model_validate(entered.definition)
            self._routes = entered.routes
            result = self._step(
                Start(
                    entry_event=inp.entry_event,
                    profile=entered.profile,
                    journey_id=inp.journey_id,
                    version=inp.version,
                )
            )
        return await self._drive(result.command)

    def _resume(self, carry: JourneyCarry) -> StepResult:
        self._definition = JourneyDefinition.model_validate(carry.definition)
        self._state = carry.state
        self._inbox = list(carry.inbox) + self._inbox
        self._entry_run_id = carry.entry_run_id
        self._node_attr = carry.current_node_attr
        self._routes = carry.routes
        self._steps = list(carry.steps)
        self._deferred = carry.deferred_message_id
        self._migrations = list(carry.migrations) + self._migrations
        return StepResult(state=carry.state, command=carry.command)

    async def _enter(self, inp: JourneyInput) -> EnterResult:
        info = workflow.info()
        self._entry_run_id = info.run_id
        return await workflow.execute_local_activity(
            "enter_journey",
            EnterInput(
                journey_id=inp.journey_id,
                version=inp.version,
                profile_id=inp.profile_id,
                workflow_id=info.workflow_id,
                entry_run_id=info.run_id,
                entered_at=workflow.now(),
                entry_event_id=inp.entry_event.event_id,
                key=inp.key,
            ),
            result_type=EnterResult,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=LOCAL_RETRY,
        )

    def _step(self, inp: Input) -> StepResult:
        assert self._definition is not None
        seed = zlib.crc32(self._entry_run_id.encode())
        result = step(self._definition, self._state, inp, workflow.now(), seed)
        self._state = result.state
        if result.trace:
            self._steps = merge([*self._steps, *result.trace])
        return result

    async def _drive(self, command: Command) -> str:
        """Events are handed to the interpreter one at a time, only while the journey rests
        in a Wait: a command already decided runs first. Signals that reach the worker in
        one batch (a retried workflow task delivers them together) are then taken in the
        same order and at the same points as if they had come one by one."""
        while True:
            if isinstance(command, Finish):
                await self._finish(command)
                return command.status
            if isinstance(command, Wait):
                if self._inbox:
                    command = self._step(EventReceived(event=self._inbox.pop(0))).command
                    continue
                await self._rest(command)
                if self._should_continue_as_new():
                    await self._continue_as_new(command)
                self._mark_node()
                command = await self._wait(command)
            elif isinstance(command, SendMessage):
                command = await self._send(command)
            elif isinstance(command, LoadProfile):
                command = await self._load_profile()
            elif isinstance(command, SelectRecords):  # a read: no CurrentNode upsert
                command = self._step(await select_records(command, self._context())).command
            elif isinstance(command, StepCommand):
                self._mark_node()
                command = self._step(await run_step(command, self._context())).command
            else:
                raise ApplicationError(f"unknown command {command!r}", non_retryable=True)

    def _context(self) -> StepContext:
        assert self._state is not None and self._definition is not None
        info = workflow.info()
        return StepContext(
            workflow_id=info.workflow_id,
            entry_run_id=self._entry_run_id,
            task_queue=info.task_queue,
            state=self._state,
            dry_run=self._definition.dry_run,
            routes=self._routes,
        )

    async def _wait(self, command: Wait) -> Command:
        timeout = (command.until - workflow.now()).total_seconds()
        if timeout > 0:
            try:
                await workflow.wait_condition(
                    lambda: bool(self._inbox or self._migrations), timeout=timeout
                )
            except TimeoutError:
                pass
            else:
                if self._inbox:
                    return self._step(EventReceived(event=self._inbox.pop(0))).command
                return await self._migrate(command, self._migrations.pop(0))
        return self._step(TimerFired()).command

    async def _migrate(self, waiting: Wait, signal: MigrateSignal) -> Command:
        """Move to another version while resting (journeys.migration); a move the state
        refuses (it changed since the dry run) leaves the run where it is."""
        assert self._state is not None and self._definition is not None
        if not workflow.patched(MIGRATION_PATCH):
            return waiting
        target = JourneyDefinition.model_validate(signal.definition)
        seed = zlib.crc32(self._entry_run_id.encode())
        moved = migrate(self._state, self._definition, target, signal.plan, workflow.now(), seed)
        if isinstance(moved, Refusal):
            workflow.logger.info("migration %s not applied: %s", signal.migration_id, moved.reason)
            return waiting
        self._definition, self._state = target, moved.state
        self._steps = merge([*self._steps, *moved.trace])
        batch = self._batch()
        recorded = await workflow.execute_local_activity(
            "record_migration",
            MigrationApplied(
                migration_id=signal.migration_id,
                entry_run_id=self._entry_run_id,
                version=moved.state.version,
                definition=signal.definition,
                steps=batch,
            ),
            result_type=MigrationRecorded,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=LOCAL_RETRY,
        )
        self._written(batch)
        self._routes = recorded.routes
        workflow.upsert_search_attributes([JOURNEY_VERSION.value_set(moved.state.version)])
        return moved.command

    async def _send(self, command: SendMessage) -> Command:
        assert self._state is not None and self._input is not None
        info = workflow.info()
        send = SendInput(
            message_id=self._message_id(command),
            channel=command.channel,
            template=command.template,
            profile_id=self._state.profile_id,
            journey={
                "id": self._state.journey_id,
                "version": self._state.version,
                "name": self._definition.name if self._definition else "",
            },
            node_id=command.node,
            workflow_id=info.workflow_id,
            entry_event=self._state.entry_event,
            events=self._state.events,
            vars=self._state.vars,
            now=workflow.now(),
            dry_run=self._definition.dry_run if self._definition else False,
            steps=self._batch(),
            send_time=command.send_time,
            entity=command.entity,
        )
        if command.channel in LOCAL_CHANNELS:
            result = await workflow.execute_local_activity(
                "send_message",
                send,
                result_type=SendResult,
                start_to_close_timeout=timedelta(seconds=30),
                retry_policy=LOCAL_RETRY,
            )
            self._written(send.steps)
        else:
            self._mark_node()
            try:
                result = await workflow.execute_activity(
                    "send_message",
                    send,
                    result_type=SendResult,
                    task_queue=channel_task_queue(info.task_queue, command.channel),
                    start_to_close_timeout=timedelta(minutes=2),
                    heartbeat_timeout=timedelta(seconds=5),
                    retry_policy=(self._input.send_retry or SEND_RETRY).policy(),
                )
            except ActivityError as exc:
                # Retries exhausted: the journey goes on and the ledger says why it failed.
                result = SendResult(
                    message_id=send.message_id, status="failed", error=str(exc.cause or exc)
                )
            else:
                self._written(send.steps)
        if self._deferred == send.message_id:
            self._deferred = None
        return self._step(
            MessageSent(node=command.node, message_id=result.message_id, status=result.status)
        ).command

    def _message_id(self, command: SendMessage) -> str:
        """The step's id (decision 3), or with `per` the step's and its record's."""
        workflow_id, entity = workflow.info().workflow_id, command.entity
        if entity is None:
            return step_id(workflow_id, self._entry_run_id, command.node, command.visit)
        return entity_message_id(
            workflow_id, self._entry_run_id, command.node, command.visit, entity.type, entity.key
        )

    async def _load_profile(self) -> Command:
        assert self._state is not None
        profile = await workflow.execute_local_activity(
            "load_profile",
            LoadProfileInput(profile_id=self._state.profile_id),
            result_type=Profile,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=LOCAL_RETRY,
        )
        return self._step(ProfileLoaded(profile=profile)).command

    async def _finish(self, command: Finish) -> None:
        await workflow.execute_local_activity(
            "finish_journey",
            FinishInput(
                entry_run_id=self._entry_run_id,
                status=command.status,
                reason=command.reason,
                ended_at=workflow.now(),
                steps=self._batch(cancel_deferred=self._deferred),
            ),
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=LOCAL_RETRY,
        )
        await workflow.wait_condition(workflow.all_handlers_finished)

    def _batch(
        self, deferred: DeferredSend | None = None, cancel_deferred: str | None = None
    ) -> StepBatch | None:
        """The buffered step ledger records (and a deferral) to hand to the next activity."""
        if self._state is None or not (self._steps or deferred or cancel_deferred):
            return None
        return StepBatch(
            entry_run_id=self._entry_run_id,
            workflow_id=workflow.info().workflow_id,
            journey_id=self._state.journey_id,
            version=self._state.version,
            profile_id=self._state.profile_id,
            steps=list(self._steps),
            deferred=deferred,
            cancel_deferred=cancel_deferred,
        )

    def _written(self, batch: StepBatch | None) -> None:
        """An activity carrying `batch` completed: its records are in the ledger."""
        if batch is not None:
            self._steps = self._steps[len(batch.steps) :]

    async def _rest(self, command: Wait) -> None:
        """The journey comes to rest: write what the trace holds (and a quiet-hours deferral)
        in one local activity, so reports see where it waits. Runs recorded before the step
        ledger replay without it (their records go with the next send or the finish)."""
        if self._ledger is None:
            self._ledger = workflow.patched(STEP_LEDGER_PATCH)
        if not self._ledger:
            return
        deferred = self._deferral(command)
        batch = self._batch(deferred=deferred)
        if batch is None:
            return
        await workflow.execute_local_activity(
            "record_steps",
            batch,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=LOCAL_RETRY,
        )
        self._written(batch)
        if deferred is not None:
            self._deferred = deferred.message_id

    def _deferral(self, command: Wait) -> DeferredSend | None:
        """A Wait at a message node is its quiet hours or its chosen send time: the send is
        deferred until `until`."""
        assert self._state is not None and self._definition is not None
        node_id = self._state.node or ""
        node = self._definition.nodes.get(node_id)
        if not isinstance(node, MessageNode) or command.event is not None:
            return None
        if node.per is not None:  # its messages are not known before its records are read
            return None
        visit = self._state.visits.get(node_id, 1)
        message_id = step_id(workflow.info().workflow_id, self._entry_run_id, node_id, visit)
        if message_id == self._deferred:
            return None
        chosen = self._state.send_times.get(node_id)
        return DeferredSend(
            message_id=message_id,
            node_id=node_id,
            channel=node.channel,
            template=node.template,
            until=command.until,
            reason="send_time" if chosen == command.until else "quiet_hours",
        )

    def _mark_node(self) -> None:
        """CurrentNode is upserted only when it changed and the run is about to block."""
        node = self._state.node if self._state else None
        if node and node != self._node_attr:
            workflow.upsert_search_attributes([CURRENT_NODE.value_set(node)])
            self._node_attr = node

    def _should_continue_as_new(self) -> bool:
        info = workflow.info()
        limit = (self._input.history_limit if self._input else None) or HISTORY_LIMIT
        return info.is_continue_as_new_suggested() or info.get_current_history_length() > limit

    async def _continue_as_new(self, command: Command) -> None:
        assert self._input is not None and self._state is not None and self._definition
        await workflow.wait_condition(workflow.all_handlers_finished)
        carry = JourneyCarry(
            definition=self._definition.model_dump(mode="json", by_alias=True),
            state=self._state,
            inbox=self._inbox,
            entry_run_id=self._entry_run_id,
            current_node_attr=self._node_attr,
            routes=self._routes,
            command=command,
            steps=self._steps,
            deferred_message_id=self._deferred,
            migrations=self._migrations,
        )
        workflow.continue_as_new(self._input.model_copy(update={"carry": carry}))

"""What the interpreter reads and returns: inputs, commands and the journey state.

All are JSON-serialisable pydantic models with a `kind` discriminator, so the Temporal
driver can carry them through signals, activity results and continue-as-new unchanged.
The state is bounded (path, seen event ids, remembered events; one `vars` entry and one
message id per node, action responses and error texts capped) so that a journey that
loops for months still continues-as-new with a small payload.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from journeys.per_entity import PerEntity
from journeys.records import Event, Profile

PATH_LIMIT = 200  # steps kept in JourneyState.path; older ones are counted in path_dropped
SEEN_EVENTS_LIMIT = 100  # event ids remembered for deduplication
EVENTS_LIMIT = 50  # distinct event names remembered in JourneyState.events
PENDING_EVENTS_LIMIT = 20  # awaited events held while the profile loads
RESPONSE_LIMIT = 64_000  # characters of an action/fetch response (as JSON) kept in vars
ERROR_TEXT_LIMIT = 1_000  # characters of an action/fetch/jump error kept in the state
PARAMS_LIMIT = 100_000  # characters of the rendered params of one action or fetch

Status = Literal["active", "completed", "exited", "timed_out", "errored"]
FinishStatus = Literal["completed", "exited", "timed_out", "errored"]
StepOutcome = Literal["exited", "exit_criteria", "errored", "timed_out"]
"""How a node visit ended: left normally (to the next node, or the journey completed), by an
`exit_on` event, by an error, or at the journey timeout."""
DEFERRED = "deferred by quiet hours"
DEFERRED_SEND_TIME = "deferred to the best send time"
DEFERRALS = frozenset({DEFERRED, DEFERRED_SEND_TIME})
"""Path-step outcomes that hold a send back without ending the visit."""
SendTimeGroup = Literal["optimised", "holdout"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- inputs ----------------------------------------------------------------------------


class Start(_Model):
    """The profile enters: only valid as the first input (state None)."""

    kind: Literal["start"] = "start"
    entry_event: Event
    profile: Profile
    journey_id: str
    version: int


class TimerFired(_Model):
    """The current Wait's `until` was reached."""

    kind: Literal["timer_fired"] = "timer_fired"


class EventReceived(_Model):
    """An event of the profile arrived (fed whenever no command is executing)."""

    kind: Literal["event_received"] = "event_received"
    event: Event


class MessageSent(_Model):
    """Result of SendMessage; a failed send still moves on."""

    kind: Literal["message_sent"] = "message_sent"
    node: str
    message_id: str
    status: Literal["sent", "failed", "skipped"]


class ProfileLoaded(_Model):
    """Result of LoadProfile (also accepted at any time as a refresh)."""

    kind: Literal["profile_loaded"] = "profile_loaded"
    profile: Profile


class AssignmentRecorded(_Model):
    """Result of RecordAssignment: the experiment assignment is in the ledger."""

    kind: Literal["assignment_recorded"] = "assignment_recorded"
    node: str


class ActionDone(_Model):
    """Result of CallAction, FetchData and Decide (one input type for all three).

    `ok`: `response` becomes `vars[node]`; else `error` says why (`vars[node]` becomes
    `{"error": error}` when the node has an `on_error`).
    """

    kind: Literal["action_done"] = "action_done"
    node: str
    ok: bool
    response: dict[str, Any] | None = None
    error: str | None = None


class ProfileUpdated(_Model):
    """Result of UpdateProfile: the profile as stored after the update."""

    kind: Literal["profile_updated"] = "profile_updated"
    node: str
    profile: Profile


class Jumped(_Model):
    """Result of JumpToJourney; a failed jump still moves on (`error` says why)."""

    kind: Literal["jumped"] = "jumped"
    node: str
    ok: bool
    error: str | None = None


class SendTimeChosen(_Model):
    """Result of ChooseSendTime: when the message node's send should go out."""

    kind: Literal["send_time_chosen"] = "send_time_chosen"
    node: str
    send_at: AwareDatetime


class EntityRecord(_Model):
    """A related record a per-entity message is for, as its template sees it (`entity`)."""

    type: str
    key: str = Field(description="The record's key as message ids and the ledger hold it")
    scope: dict[str, Any] = Field(
        default_factory=dict, description="`entity` in the template: type, key, fields, related"
    )


class RecordsSelected(_Model):
    """Result of SelectRecords: the matching records, in key order (none is an answer)."""

    kind: Literal["records_selected"] = "records_selected"
    node: str
    visit: int
    records: list[EntityRecord] = Field(default_factory=list)
    error: str | None = Field(default=None, description="Why they could not be read")


# The answers to a node's own command (the interpreter hands them to that node).
NodeResult = (
    MessageSent
    | AssignmentRecorded
    | ActionDone
    | ProfileUpdated
    | Jumped
    | SendTimeChosen
    | RecordsSelected
)

Input = Annotated[
    Start | TimerFired | EventReceived | ProfileLoaded | NodeResult,
    Field(discriminator="kind"),
]


# --- commands --------------------------------------------------------------------------


class SendMessage(_Model):
    """Send `template` on `channel`; `visit` (1-based) makes the message id deterministic."""

    kind: Literal["send_message"] = "send_message"
    node: str
    channel: str
    template: str
    visit: int
    send_time: SendTimeGroup | None = Field(
        default=None, description="With send-time optimisation: sent at the chosen time or held out"
    )
    entity: EntityRecord | None = Field(
        default=None, description="With `per`: the record this message is for (its id names it)"
    )


class Wait(_Model):
    """Block until `until` or until an event arrives (feed every event; `event` is for UIs)."""

    kind: Literal["wait"] = "wait"
    until: AwareDatetime
    event: str | None = None


class LoadProfile(_Model):
    """Read the profile and feed it back as ProfileLoaded."""

    kind: Literal["load_profile"] = "load_profile"


class Finish(_Model):
    """The journey is over."""

    kind: Literal["finish"] = "finish"
    status: FinishStatus
    reason: str | None = None


class RecordAssignment(_Model):
    """Write the experiment assignment to the ledger, answer AssignmentRecorded."""

    kind: Literal["record_assignment"] = "record_assignment"
    node: str
    experiment: str  # the experiment node's id
    variant: str  # a variant name, or "holdout"
    visit: int


class CallAction(_Model):
    """Call the action resource `action` with rendered `params`, answer ActionDone."""

    kind: Literal["call_action"] = "call_action"
    node: str
    action: str
    params: dict[str, Any] = Field(default_factory=dict)
    visit: int


class FetchData(_Model):
    """Read the data source `source` with rendered `params`, answer ActionDone."""

    kind: Literal["fetch_data"] = "fetch_data"
    node: str
    source: str
    params: dict[str, Any] = Field(default_factory=dict)
    visit: int


class UpdateProfile(_Model):
    """Set and increment profile attributes (evaluated values), answer ProfileUpdated."""

    kind: Literal["update_profile"] = "update_profile"
    node: str
    set: dict[str, Any] = Field(default_factory=dict)
    increment: dict[str, int | float] = Field(default_factory=dict)
    visit: int


class JumpToJourney(_Model):
    """Enter the profile into the journey `journey`, answer Jumped."""

    kind: Literal["jump_to_journey"] = "jump_to_journey"
    node: str
    journey: str
    visit: int


class ChooseSendTime(_Model):
    """Ask the engagement model when, within `within_seconds`, the profile likeliest reads
    (`goal`); answer SendTimeChosen. A read: its answer depends on the profile's history."""

    kind: Literal["choose_send_time"] = "choose_send_time"
    node: str
    goal: Literal["opened", "clicked"]
    within_seconds: float


class Decide(_Model):
    """Ask the decision policy `decision` for the profile's offers, answer ActionDone."""

    kind: Literal["decide"] = "decide"
    node: str
    decision: str
    visit: int


class SelectRecords(_Model):
    """Read the profile's records a message node with `per` sends to, answer
    RecordsSelected. A read whose answer the history keeps, so a replay sends to the same
    records whatever the table holds by then."""

    kind: Literal["select_records"] = "select_records"
    node: str
    visit: int
    per: PerEntity


Command = Annotated[
    SendMessage
    | Wait
    | LoadProfile
    | Finish
    | RecordAssignment
    | CallAction
    | FetchData
    | UpdateProfile
    | JumpToJourney
    | ChooseSendTime
    | Decide
    | SelectRecords,
    Field(discriminator="kind"),
]


# --- state -----------------------------------------------------------------------------


class PathStep(_Model):
    """One visit of a node, for reports and the `state` query."""

    node: str
    type: str
    entered_at: AwareDatetime
    left_at: AwareDatetime | None = None
    outcome: str | None = None


class Check(_Model):
    """One thing a node evaluated to choose its way, and what it came to: a branch's `when`
    and its value, or the hash bucket of a split or experiment."""

    expression: str
    value: Any = None


class StepTrace(_Model):
    """A node visit for the step ledger: entered, and once left, how and why.

    `visit` numbers the node's visits in the run (1-based), so (run, node, visit) names one
    ledger row; a record without `left_at` says only that the visit began.
    """

    node: str
    visit: int
    type: str
    entered_at: AwareDatetime
    seq: int | None = Field(
        default=None, description="Order of entry in the run (1-based); set on entry records"
    )
    left_at: AwareDatetime | None = None
    outcome: StepOutcome | None = None
    detail: str | None = None
    checks: list[Check] = Field(default_factory=list)


class WaitState(_Model):
    """The wait the journey is blocked in."""

    until: AwareDatetime
    event: str | None = None
    when: str | None = None


class PendingCall(_Model):
    """The evaluated arguments of the action, fetch or profile update the journey awaits."""

    node: str
    params: dict[str, Any] = Field(default_factory=dict)
    set: dict[str, Any] = Field(default_factory=dict)
    increment: dict[str, int | float] = Field(default_factory=dict)


class Selection(_Model):
    """The records a per-entity message node's visit sends to, and how far it got: one
    message per record, in order; the node goes on once each has its outcome."""

    node: str
    visit: int
    entity: str
    records: list[EntityRecord] = Field(default_factory=list)
    done: int = 0
    outcomes: dict[str, int] = Field(default_factory=dict)

    def current(self) -> EntityRecord:
        return self.records[self.done]


class JourneyState(_Model):
    """Where a profile is in a journey; everything `step` needs besides the definition."""

    journey_id: str
    version: int
    profile_id: str
    status: Status = "active"
    node: str | None = None
    entered_at: AwareDatetime
    deadline: AwareDatetime
    entry_event: Event
    events: dict[str, Event] = Field(default_factory=dict)
    vars: dict[str, Any] = Field(default_factory=dict)
    profile: Profile
    profile_stale: bool = False
    path: list[PathStep] = Field(default_factory=list)
    path_dropped: int = 0
    visits: dict[str, int] = Field(default_factory=dict)
    wait: WaitState | None = None
    call: PendingCall | None = None
    messages: dict[str, str] = Field(default_factory=dict)
    send_times: dict[str, AwareDatetime] = Field(
        default_factory=dict, description="Chosen send times of message nodes not yet sent"
    )
    selection: Selection | None = Field(
        default=None, description="The records of the per-entity message node being sent"
    )
    pending_events: list[Event] = Field(default_factory=list)
    seen_event_ids: list[str] = Field(default_factory=list)
    reason: str | None = None


class StepResult(_Model):
    """The new state and the one thing the driver must do next."""

    state: JourneyState
    command: Command
    trace: list[StepTrace] = Field(
        default_factory=list, description="The node visits this step began or ended, in order"
    )

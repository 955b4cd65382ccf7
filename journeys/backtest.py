"""Backtest: a journey replayed against the events Wayline stored, one profile at a time.

Each profile's stored events are fed in time order to the pure interpreter on a virtual
clock that jumps from event to timer to event, exactly as the workflow would have met them:
an event that matches the entry starts a run when the entry window and the re-entry rule
allow it, later events reach the running instance, timers fire when their time comes, and
whatever still waits at the end of the window is counted as waiting there. Sends are judged
by the same rules as real ones (`contacts.send_rules.skip_reason`: suppression, consent,
frequency caps counted on this replay's own sends) and quiet hours defer them as the
interpreter does; nothing is sent. A message node with `per` sends to the records the caller
read for the profile (today's, like the profile), one message each. Action and data-source
calls take the caller's canned answers; a call with no answer makes the rest of that run
unknowable, so the run stops there and is counted as `unknown` at that node rather than
guessed.

The per-profile replays add up into a `Tally`, which merges (`Tally.add`), so profiles can be
replayed in any order and in several processes. The caller reads events and profiles from
the database and supplies the answers that need I/O; this module stays pure.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from contacts.send_rules import SendFacts, skip_reason
from journeys.expressions import ExpressionError, compile_expression
from journeys.interpreter import (
    ChooseSendTime,
    EventReceived,
    Finish,
    Input,
    JourneyState,
    LoadProfile,
    MessageSent,
    ProfileLoaded,
    RecordsSelected,
    SelectRecords,
    SendMessage,
    SendTimeChosen,
    Start,
    StepResult,
    TimerFired,
    Wait,
    step,
)
from journeys.model import Event, JourneyDefinition, Profile
from journeys.per_entity import PerEntity
from journeys.routing import entry_matches, entry_open, instance_keys, reentry_refusal
from journeys.runtime import EntityRecord

MAX_STEPS = 10_000  # steps of one profile's replay before it is counted as a loop
UNKNOWN = "unknown"  # how a run ends that needed a call answer the backtest was not given
NODE_COUNTS = ("entered", "exited", "exit_criteria", "errored", "timed_out", "waiting", "unknown")
"""A node's plain counts, in the order the answer lists them."""


@dataclass(frozen=True)
class TemplateFacts:
    """What the send rules read of a template."""

    channel: str
    topic: str | None = None
    transactional: bool = False


@dataclass(frozen=True)
class Cap:
    """A channel's frequency cap: at most `max_messages` marketing sends per `period`."""

    max_messages: int
    period: timedelta


@dataclass(frozen=True)
class Consent:
    """One profile's standing with the send rules, as stored today."""

    unsubscribed: frozenset[tuple[str, str | None]] = frozenset()  # (channel, topic or None)
    suppressed: Mapping[str, str] = field(default_factory=dict)  # channel -> reason


@dataclass(frozen=True)
class ProfileHistory:
    """A profile and its stored events in the window, oldest first."""

    profile: Profile
    events: Sequence[Event]
    consent: Consent = Consent()
    records: Mapping[str, Sequence[EntityRecord]] = field(default_factory=dict)
    """The profile's records for each `per` of the journey, by `selection_key`."""


def selection_key(per: PerEntity) -> str:
    """Which of a profile's record sets a `per` reads (nodes with the same `per` share one)."""
    return per.model_dump_json()


Answer = Callable[[Any, JourneyState], Input | None]
"""(command, state) -> the input a call, fetch, profile update, assignment or jump would
have fed back, or None when the backtest cannot know it (the run stops as `unknown`)."""


@dataclass(frozen=True)
class Backtest:
    """What every profile's replay shares."""

    definition: JourneyDefinition
    version: int
    end: datetime
    answer: Answer
    templates: Mapping[str, TemplateFacts] = field(default_factory=dict)
    caps: Mapping[str, Cap] = field(default_factory=dict)


@dataclass
class NodeTally:
    """One node's predicted visits and how they ended; message outcomes for message nodes."""

    entered: int = 0
    exited: int = 0
    exit_criteria: int = 0
    errored: int = 0
    timed_out: int = 0
    waiting: int = 0
    unknown: int = 0
    messages: Counter[str] = field(default_factory=Counter)  # sent / skipped / failed
    skipped: Counter[str] = field(default_factory=Counter)  # skip reason -> count

    def add(self, other: NodeTally) -> None:
        for name in NODE_COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.messages.update(other.messages)
        self.skipped.update(other.skipped)


@dataclass
class Tally:
    """The predicted counts of a backtest, summed over profiles."""

    profiles: int = 0  # profiles with events in the window
    profiles_entered: int = 0
    entered: int = 0  # entries (a profile may enter more than once)
    refused: Counter[str] = field(default_factory=Counter)  # entry refusal -> count
    finished: Counter[str] = field(default_factory=Counter)  # run status -> count
    nodes: dict[str, NodeTally] = field(default_factory=dict)
    edges: Counter[tuple[str, str]] = field(default_factory=Counter)
    messages_per_profile: Counter[int] = field(default_factory=Counter)  # sent -> profiles
    messages_per_day: Counter[tuple[str, str]] = field(default_factory=Counter)  # channel, day
    entries_per_day: Counter[str] = field(default_factory=Counter)

    def node(self, node_id: str) -> NodeTally:
        """Made only when missing (not `setdefault`'s throwaway NodeTally on every call)."""
        counts = self.nodes.get(node_id)
        if counts is None:
            counts = self.nodes[node_id] = NodeTally()
        return counts

    def add(self, other: Tally) -> None:
        """Merge another tally into this one (replays of other profiles)."""
        self.profiles += other.profiles
        self.profiles_entered += other.profiles_entered
        self.entered += other.entered
        for mine, theirs in self._counters(other):
            mine.update(theirs)
        for node_id, counts in other.nodes.items():
            self.node(node_id).add(counts)

    def _counters(self, other: Tally) -> list[tuple[Counter[Any], Counter[Any]]]:
        return [
            (self.refused, other.refused),
            (self.finished, other.finished),
            (self.edges, other.edges),
            (self.messages_per_profile, other.messages_per_profile),
            (self.messages_per_day, other.messages_per_day),
            (self.entries_per_day, other.entries_per_day),
        ]


# --- one profile -------------------------------------------------------------------------


@dataclass
class _Replay:
    """One profile's replay in progress: its running instance and what it sent so far."""

    bt: Backtest
    history: ProfileHistory
    tally: Tally = field(default_factory=Tally)  # shared by a chunk's replays (replay_all)
    result: StepResult | None = None
    now: datetime | None = None
    last_entry: dict[str, datetime | None] | None = None
    sends: list[tuple[str, datetime]] = field(default_factory=list)  # marketing: channel, at
    sent: int = 0
    entered: int = 0  # this profile's entries (the tally may be shared)
    seed: int = 0  # of the current entry: hashed once per entry, not once per step
    steps: int = 0
    previous: str | None = None  # the node the run last entered, for edge counts
    visited: list[str] = field(default_factory=list)  # every node entered, in order


def replay(bt: Backtest, history: ProfileHistory) -> Tally:
    """The tally of one profile's events through the journey."""
    return _replay(bt, history, Tally()).tally


def _replay(bt: Backtest, history: ProfileHistory, tally: Tally) -> _Replay:
    """Counts go straight into `tally`: one tally per chunk rather than one per profile
    merged after, whose counters were a tenth of a backtest's time."""
    run = _Replay(bt, history, tally)
    tally.profiles += 1
    for events in instance_events(bt.definition, history.events):
        _walk(run, events)
    tally.profiles_entered += int(run.entered > 0)
    tally.messages_per_profile[run.sent] += 1
    return run


def instance_events(definition: JourneyDefinition, events: Sequence[Event]) -> list[list[Event]]:
    """The events each instance would receive: all of them for an unkeyed journey; for a
    keyed one (decision 13), those carrying each key, key by key in order of first
    appearance (an event without a key reaches none)."""
    source = definition.entry.key
    if source is None:
        return [list(events)]
    by_key: dict[str | None, list[Event]] = {}
    for event in events:
        for key in instance_keys([source], event):
            by_key.setdefault(key, []).append(event)
    return list(by_key.values())


def _walk(run: _Replay, events: Sequence[Event]) -> None:
    """One instance's events through the journey: entries, waits, the end of the window.
    The instances of a keyed journey are walked one after another, sharing the profile's
    sends: a frequency cap counts those of the instances walked before (up to its own
    time), not of those walked after, so across keys a cap is approximate."""
    run.result, run.last_entry, run.previous = None, None, None
    for event in events:
        if run.result is not None:
            _drive(run, event.timestamp)
        if run.result is not None:
            _feed(run, event)
        else:
            _maybe_enter(run, event)
    if run.result is not None:
        _drive(run, run.bt.end)
    if run.result is not None:
        _park(run)


def replay_all(bt: Backtest, histories: Iterable[ProfileHistory]) -> Tally:
    total = Tally()
    for history in histories:
        _replay(bt, history, total)
    return total


def _maybe_enter(run: _Replay, event: Event) -> None:
    bt, at = run.bt, event.timestamp
    if at >= bt.end or not entry_matches(bt.definition, event, run.history.profile, at):
        return
    refusal = (
        "outside the entry window"
        if not entry_open(bt.definition, at)
        else reentry_refusal(bt.definition, run.last_entry, at)
    )
    if refusal is not None:
        run.tally.refused[refusal.split(":")[0]] += 1
        return
    run.tally.entered += 1
    run.entered += 1
    run.tally.entries_per_day[at.date().isoformat()] += 1
    run.last_entry = {"entered_at": at, "ended_at": None}
    run.seed = _seed(run.last_entry)
    run.previous = None
    start = Start(
        entry_event=event,
        profile=run.history.profile,
        journey_id=bt.definition.id,
        version=bt.version,
    )
    _apply(run, None, start, at)
    _drive(run, at)


def _feed(run: _Replay, event: Event) -> None:
    """An event for the running instance, which is blocked in a wait."""
    assert run.result is not None
    _apply(run, run.result.state, EventReceived(event=event), event.timestamp)
    _drive(run, event.timestamp)


def _apply(run: _Replay, state: JourneyState | None, inp: Input, now: datetime) -> None:
    run.result = step(run.bt.definition, state, inp, now, run.seed)
    run.now = now
    run.steps += 1
    _count_trace(run, run.result)


def _seed(entry: Mapping[str, datetime | None] | None) -> int:
    """Stable per entry, as the workflow's seed is stable per entry run."""
    at = entry["entered_at"] if entry else None
    return int.from_bytes(hashlib.sha256(str(at).encode()).digest()[:4], "big")


def _count_trace(run: _Replay, result: StepResult) -> None:
    """A trace record with `seq` is an entry (and, with `left_at`, also its end in the same
    step); one without `seq` ends a visit begun in an earlier step."""
    for visit in result.trace:
        counts = run.tally.node(visit.node)
        if visit.seq is not None:
            counts.entered += 1
            if run.previous is not None:
                run.tally.edges[(run.previous, visit.node)] += 1
            run.previous = visit.node
            run.visited.append(visit.node)
        if visit.left_at is not None:
            outcome = visit.outcome or "exited"
            setattr(counts, outcome, getattr(counts, outcome) + 1)


def _drive(run: _Replay, horizon: datetime) -> None:
    """Answer every command up to `horizon`: timers due by then fire, effects are answered;
    stops when the run waits beyond the horizon, finishes, or needs an unknown answer."""
    while run.result is not None:
        command, now = run.result.command, run.now
        assert now is not None
        if isinstance(command, Finish):
            return _finish(run, command.status)
        if run.steps >= MAX_STEPS:
            return _finish(run, "errored")
        if isinstance(command, Wait):
            if command.until > horizon:
                return None
            _apply(run, run.result.state, TimerFired(), max(now, command.until))
            continue
        fed = _answer(run, command, run.result.state, now)
        if fed is None:
            return _unknown(run, run.result.state)
        _apply(run, run.result.state, fed, now)
    return None


def _answer(run: _Replay, command: Any, state: JourneyState, now: datetime) -> Input | None:
    if isinstance(command, LoadProfile):
        return ProfileLoaded(profile=state.profile)
    if isinstance(command, SendMessage):
        return _send(run, command, now)
    if isinstance(command, ChooseSendTime):  # approximation: sent at once (no habit here)
        return SendTimeChosen(node=command.node, send_at=now)
    if isinstance(command, SelectRecords):
        records = list(run.history.records.get(selection_key(command.per), ()))
        return RecordsSelected(node=command.node, visit=command.visit, records=records)
    return run.bt.answer(command, state)


def _finish(run: _Replay, status: str) -> None:
    run.tally.finished[status] += 1
    if run.last_entry is not None:
        run.last_entry["ended_at"] = run.now
    run.result = None


def _unknown(run: _Replay, state: JourneyState) -> None:
    run.tally.node(state.node or "").unknown += 1
    _finish(run, UNKNOWN)


def _park(run: _Replay) -> None:
    """The run still waits at the end of the window."""
    assert run.result is not None
    run.tally.node(run.result.state.node or "").waiting += 1
    run.tally.finished["waiting"] += 1
    run.result = None


# --- sends ------------------------------------------------------------------------------


def _send(run: _Replay, command: SendMessage, now: datetime) -> MessageSent:
    facts = run.bt.templates.get(command.template)
    status, reason = ("failed", None) if facts is None else _judge(run, facts, now)
    counts = run.tally.node(command.node)
    counts.messages[status] += 1
    if reason is not None:
        counts.skipped[reason] += 1
    if status == "sent":
        run.sent += 1
        run.tally.messages_per_day[(command.channel, now.date().isoformat())] += 1
        if facts is not None and not facts.transactional:
            run.sends.append((facts.channel, now))
    message_id = f"backtest:{command.node}:{command.visit}"
    return MessageSent(node=command.node, message_id=message_id, status=status)


def _judge(run: _Replay, facts: TemplateFacts, now: datetime) -> tuple[str, str | None]:
    consent = run.history.consent
    cap = run.bt.caps.get(facts.channel)
    used = 0 if cap is None else _sent_within(run.sends, facts.channel, now - cap.period, now)
    reason = skip_reason(
        SendFacts(
            channel=facts.channel,
            topic=facts.topic,
            transactional=facts.transactional,
            channel_unsubscribed=(facts.channel, None) in consent.unsubscribed,
            topic_unsubscribed=(facts.channel, facts.topic) in consent.unsubscribed,
            suppressed=consent.suppressed.get(facts.channel),
            cap_max=None if cap is None else cap.max_messages,
            cap_period=None if cap is None else cap.period,
            cap_used=used,
        )
    )
    return ("skipped", reason) if reason else ("sent", None)


def _sent_within(
    sends: Sequence[tuple[str, datetime]], channel: str, since: datetime, now: datetime
) -> int:
    return sum(1 for c, at in sends if c == channel and since < at <= now)


# --- what would change -------------------------------------------------------------------


@dataclass
class Comparison:
    """The live version and a candidate over the same profiles, with profiles whose paths
    differ (both paths, up to `sample_size` of them)."""

    live: Tally = field(default_factory=Tally)
    candidate: Tally = field(default_factory=Tally)
    differing: int = 0
    sample: list[dict[str, Any]] = field(default_factory=list)

    def add(self, other: Comparison, sample_size: int) -> None:
        self.live.add(other.live)
        self.candidate.add(other.candidate)
        self.differing += other.differing
        self.sample.extend(other.sample[: max(0, sample_size - len(self.sample))])


def compare_all(
    live: Backtest,
    candidate: Backtest,
    histories: Iterable[ProfileHistory],
    sample_size: int = 20,
) -> Comparison:
    out = Comparison()
    for history in histories:
        before, after = _replay(live, history, out.live), _replay(candidate, history, out.candidate)
        if before.visited != after.visited:
            out.differing += 1
            if len(out.sample) < sample_size:
                out.sample.append(_differing(history, before, after))
    return out


def _differing(history: ProfileHistory, before: _Replay, after: _Replay) -> dict[str, Any]:
    return {
        "profile_id": history.profile.profile_id,
        "live": before.visited,
        "candidate": after.visited,
    }


def definition_changes(live: JourneyDefinition, candidate: JourneyDefinition) -> dict[str, Any]:
    """Nodes added, removed and changed (any field) from the live graph to the candidate."""
    old, new = live.nodes, candidate.nodes
    changed = [n for n in old.keys() & new.keys() if old[n] != new[n]]
    return {
        "added": sorted(new.keys() - old.keys()),
        "removed": sorted(old.keys() - new.keys()),
        "changed": sorted(changed),
    }


def differences(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    """candidate minus live for every count of two summaries, per node over both graphs."""
    zero = dict.fromkeys(NODE_COUNTS, 0)
    nodes = {}
    for node in {**before["nodes"], **after["nodes"]}:
        a, b = before["nodes"].get(node, zero), after["nodes"].get(node, zero)
        nodes[node] = {k: b[k] - a[k] for k in NODE_COUNTS}
    totals = ("profiles_entered", "entered", "messages", "max_messages_per_profile")
    return {**{k: after[k] - before[k] for k in totals}, "nodes": nodes}


# --- answers ----------------------------------------------------------------------------


def summary(tally: Tally, definition: JourneyDefinition) -> dict[str, Any]:
    """The tally as plain data: the API's answer and the names `--assert` reads. Every node
    of the journey is listed, the ones no profile reached with zeros."""
    dist = tally.messages_per_profile
    nodes = {n: tally.nodes.get(n, NodeTally()) for n in definition.nodes}
    return {
        "profiles": tally.profiles,
        "profiles_entered": tally.profiles_entered,
        "entered": tally.entered,
        "refused": dict(tally.refused),
        "finished": dict(tally.finished),
        "max_messages_per_profile": max((n for n, c in dist.items() if c), default=0),
        "messages_per_profile": {str(n): c for n, c in sorted(dist.items())},
        "messages": sum(n * c for n, c in dist.items()),
        "messages_per_day": _per_day(tally.messages_per_day),
        "entries_per_day": dict(sorted(tally.entries_per_day.items())),
        "nodes": {n: _node_summary(c) for n, c in nodes.items()},
        "edges": [{"from": a, "to": b, "profiles": c} for (a, b), c in sorted(tally.edges.items())],
    }


def _node_summary(counts: NodeTally) -> dict[str, Any]:
    out: dict[str, Any] = {k: getattr(counts, k) for k in NODE_COUNTS}
    if counts.messages:
        out["messages"] = dict(counts.messages)
        out["skipped"] = dict(counts.skipped)
    return out


def _per_day(counts: Counter[tuple[str, str]]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for (channel, day), n in sorted(counts.items()):
        out.setdefault(channel, {})[day] = n
    return out


class AssertionProblem(ValueError):
    """An `--assert` expression that does not compile or does not evaluate."""


def failed_assertions(result: Mapping[str, Any], assertions: Sequence[str]) -> list[str]:
    """The assertions that do not hold of a backtest summary, each as written.

    The summary's keys are the names (`entered`, `max_messages_per_profile`, `nodes.<id>.
    entered`, ...), evaluated in the journey expression sandbox."""
    failed = []
    for src in assertions:
        try:
            held = compile_expression(src).evaluate(dict(result))
        except ExpressionError as exc:
            raise AssertionProblem(f"{src}: {exc}") from exc
        if not held:
            failed.append(src)
    return failed

"""The journey palette end to end on the real servers: every node type and journey option,
driven through the HTTP API and checked on the ledgers and the workflow results.

Each test uses fresh journey, profile, template and action names, and entry events named
after its journey (`<journey>.go`), so the session's dispatcher never routes one test's
events into another test's journeys.
"""

from __future__ import annotations

import asyncio
import functools
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import asyncpg
import httpx
import pytest
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from activities.steps import StepActivities
from core.contracts import UpdateProfileInput
from core.names import STATE_QUERY, journey_workflow_id, step_id
from core.settings import Settings
from journeys.interpreter import JourneyState
from journeys.nodes.buckets import bucket
from journeys.nodes.experiment import ExperimentNode, experiment_variant
from tests.integration.helpers import eventually, publish, uid
from tests.integration.provider import FakeProvider
from workers.worker import Runtime

pytestmark = pytest.mark.integration
T = TypeVar("T")
FAST_RETRY = {"max_attempts": 3, "initial_interval_seconds": 0.2, "backoff": 1.0}


@dataclass
class Api:
    """The public HTTP API with an admin key, plus the Temporal client for results/queries."""

    http: httpx.AsyncClient
    headers: dict[str, str]
    temporal: Client
    pool: asyncpg.Pool

    async def put(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        resp = await self.http.put(path, json=body, headers=self.headers)
        assert resp.status_code in (200, 201), resp.text
        data: dict[str, Any] = resp.json()
        return data

    async def template(self, name: str, body: str, channel: str = "log") -> None:
        await self.put(f"/v1/templates/{name}", {"channel": channel, "body": body})

    async def action(self, name: str, spec: dict[str, Any]) -> None:
        await self.put(f"/v1/actions/{name}", spec)

    async def data_source(self, name: str, spec: dict[str, Any]) -> None:
        await self.put(f"/v1/data-sources/{name}", spec)

    async def profile(self, profile_id: str, **body: Any) -> None:
        await self.put(f"/v1/profiles/{profile_id}", body)

    async def journey(self, jid: str, nodes: dict[str, Any], **fields: Any) -> None:
        """PUT the draft (entry event `<jid>.go`, first node listed first) and publish it."""
        defn = {
            "id": jid,
            "name": jid,
            "entry": {"event": f"{jid}.go"},
            "start": next(iter(nodes)),
            "nodes": nodes,
            **fields,
        }
        await self.put(f"/v1/journeys/{jid}", defn)
        resp = await self.http.post(f"/v1/journeys/{jid}/publish", headers=self.headers)
        assert resp.status_code in (200, 201), resp.text

    async def event(self, name: str, profile_id: str, **props: Any) -> str:
        body = {"name": name, "profile_id": profile_id, "properties": props}
        resp = await self.http.post("/v1/events", json=body, headers=self.headers)
        assert resp.status_code == 202, resp.text
        event_id: str = resp.json()["event_id"]
        return event_id

    async def events(self, name: str, profiles: list[str]) -> None:
        body = {"events": [{"name": name, "profile_id": p} for p in profiles]}
        resp = await self.http.post("/v1/events/batch", json=body, headers=self.headers)
        assert resp.status_code == 202, resp.text
        assert resp.json()["accepted"] == len(profiles)

    async def messages(self, profile_id: str, jid: str) -> list[dict[str, Any]]:
        """The journey's messages to the profile, oldest first."""
        resp = await self.http.get(
            "/v1/messages",
            params={"profile_id": profile_id, "journey_id": jid},
            headers=self.headers,
        )
        assert resp.status_code == 200, resp.text
        return list(reversed(resp.json()["items"]))

    async def result(self, jid: str, profile_id: str, limit: float = 30.0) -> str:
        """The workflow's result (the finish status), waiting for it to be started first."""
        handle = self.temporal.get_workflow_handle(journey_workflow_id(jid, profile_id))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limit
        while True:
            try:
                result: str = await asyncio.wait_for(
                    handle.result(), max(deadline - loop.time(), 0.1)
                )
                return result
            except RPCError as exc:
                if exc.status != RPCStatusCode.NOT_FOUND or loop.time() > deadline:
                    raise
                await asyncio.sleep(0.2)

    async def state(self, jid: str, profile_id: str) -> JourneyState | None:
        handle = self.temporal.get_workflow_handle(journey_workflow_id(jid, profile_id))
        try:
            state: JourneyState | None = await handle.query(STATE_QUERY, result_type=JourneyState)
        except Exception:
            return None
        return state

    async def waiting_at(self, jid: str, profile_id: str, node: str) -> JourneyState | None:
        """The state once the journey blocks in a wait at `node` (for `eventually`)."""
        state = await self.state(jid, profile_id)
        ok = state is not None and state.node == node and state.wait is not None
        return state if ok else None

    async def entries(self, jid: str) -> list[asyncpg.Record]:
        return await self.pool.fetch(
            "SELECT run_id, profile_id, status, reason FROM journey_entries "
            "WHERE journey_id = $1 ORDER BY entered_at",
            jid,
        )

    async def all_ended(self, jid: str, count: int) -> list[asyncpg.Record] | None:
        rows = await self.entries(jid)
        return rows if len(rows) == count and all(r["status"] != "active" for r in rows) else None


@pytest.fixture
def api(
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    temporal_client: Client,
    pool: asyncpg.Pool,
    runtime: Runtime,
) -> Api:
    return Api(api_client, admin_headers, temporal_client, pool)


async def calls_of(pool: asyncpg.Pool, jid: str) -> list[asyncpg.Record]:
    return await pool.fetch(
        "SELECT call_id, kind, profile_id, node_id, status, attempts, request, response, error "
        "FROM action_calls WHERE journey_id = $1 ORDER BY created_at",
        jid,
    )


# --- action ------------------------------------------------------------------------------


async def test_action_retried_until_it_succeeds_feeds_vars(api: Api) -> None:
    jid, act, tpl, pid = uid("act"), uid("crm"), uid("t"), uid("p")
    await api.template(tpl, "score {{ vars.crm.score }}")
    await api.template(f"{tpl}-hot", "hot lead, score {{ vars.crm.score }}")
    with FakeProvider() as provider:
        provider.statuses = [503, 503]
        provider.response = {"score": 7, "internal": "not for journeys"}
        await api.action(
            act,
            {
                "url": provider.url,
                "body": '{"email": "{{ params.email }}", "n": "{{ params.n }}"}',
                "response_fields": ["score"],
                "retry": FAST_RETRY,
            },
        )
        await api.journey(
            jid,
            {
                "crm": {
                    "type": "action",
                    "action": act,
                    "params": {"email": "{{ profile.email }}", "n": 3},
                    "next": "hello",
                    "on_error": "done",
                },
                "hello": {"type": "message", "channel": "log", "template": tpl, "next": "check"},
                "check": {
                    "type": "condition",
                    "branches": [{"when": "vars.crm.score > 5", "next": "hot"}],
                    "otherwise": "done",
                },
                "hot": {
                    "type": "message",
                    "channel": "log",
                    "template": f"{tpl}-hot",
                    "next": "done",
                },
                "done": {"type": "end"},
            },
        )
        await api.profile(pid, email=f"{pid}@example.com")
        await api.event(f"{jid}.go", pid)
        assert await api.result(jid, pid) == "completed"

    [call] = await calls_of(api.pool, jid)
    assert (call["status"], call["attempts"], call["node_id"]) == ("succeeded", 3, "crm")
    assert call["response"] == {"score": 7}, "only the response_fields reach vars"
    assert [key for key, _ in provider.requests] == [call["call_id"]] * 3, "one idempotency key"
    assert all(body == {"email": f"{pid}@example.com", "n": "3"} for _, body in provider.requests)
    msgs = await api.messages(pid, jid)
    assert [(m["node_id"], m["body"]) for m in msgs] == [
        ("hello", "score 7"),
        ("hot", "hot lead, score 7"),
    ]
    # Both keys are built from the run's ids (the formula is pinned in test_persisted_ids.py)
    [entry] = await api.entries(jid)
    ids = functools.partial(step_id, journey_workflow_id(jid, pid), entry["run_id"], visit=1)
    assert call["call_id"] == ids("crm")
    assert [m["message_id"] for m in msgs] == [ids("hello"), ids("hot")]
    state = await api.state(jid, pid)
    assert state is not None and state.vars["crm"] == {"score": 7}


async def test_failed_action_takes_on_error_or_errors_the_journey(api: Api) -> None:
    act, tpl = uid("crm"), uid("t")
    guarded, bare = uid("act-on-error"), uid("act-bare")
    p1, p2 = uid("p"), uid("p")
    await api.template(tpl, "sorry: {{ vars.crm.error }}")
    with FakeProvider() as provider:
        provider.status, provider.response = 400, {"detail": "bad email"}
        await api.action(act, {"url": provider.url, "retry": FAST_RETRY})
        await api.journey(
            guarded,
            {
                "crm": {"type": "action", "action": act, "next": "done", "on_error": "sorry"},
                "sorry": {"type": "message", "channel": "log", "template": tpl, "next": "done"},
                "done": {"type": "end"},
            },
        )
        await api.journey(
            bare,
            {
                "crm": {"type": "action", "action": act, "next": "hello"},
                "hello": {"type": "message", "channel": "log", "template": tpl, "next": "done"},
                "done": {"type": "end"},
            },
        )
        await api.event(f"{guarded}.go", p1)
        await api.event(f"{bare}.go", p2)
        assert await api.result(guarded, p1) == "completed"
        assert await api.result(bare, p2) == "errored"
    assert len(provider.requests) == 2, "a 4xx is final: not retried"
    for jid in (guarded, bare):
        [call] = await calls_of(api.pool, jid)
        assert (call["status"], call["attempts"]) == ("failed", 1)
        assert call["error"].startswith("answered 400")
    [sorry] = await api.messages(p1, guarded)
    assert sorry["node_id"] == "sorry" and sorry["body"].startswith("sorry: answered 400")
    assert "bad email" in sorry["body"]
    [entry] = await api.entries(bare)
    assert entry["status"] == "errored" and entry["reason"].startswith("nodes.crm: answered 400")
    assert await api.messages(p2, bare) == [], "an errored journey goes no further"


async def test_action_failing_every_retry_takes_on_error_and_is_ledgered(api: Api) -> None:
    """A server error is retried with the action's policy; once the attempts run out the
    journey takes on_error, and the call ledger says it failed (not pending forever)."""
    jid, act, tpl, pid = uid("act-down"), uid("crm"), uid("t"), uid("p")
    await api.template(tpl, "down: {{ vars.crm.error }}")
    with FakeProvider() as provider:
        provider.status = 503
        await api.action(act, {"url": provider.url, "retry": FAST_RETRY})
        await api.journey(
            jid,
            {
                "crm": {"type": "action", "action": act, "next": "done", "on_error": "down"},
                "down": {"type": "message", "channel": "log", "template": tpl, "next": "done"},
                "done": {"type": "end"},
            },
        )
        await api.event(f"{jid}.go", pid)
        assert await api.result(jid, pid) == "completed"
    assert len(provider.requests) == 3, "max_attempts: 3"
    [call] = await calls_of(api.pool, jid)
    assert (call["status"], call["attempts"]) == ("failed", 3)
    assert "503" in call["error"]
    [msg] = await api.messages(pid, jid)
    assert msg["node_id"] == "down" and "503" in msg["body"]


async def test_action_to_host_not_on_the_allow_list_is_refused(api: Api) -> None:
    """The session allow-lists 127.0.0.1 only: `localhost` is another host string, resolves
    to loopback and is refused before any request leaves the worker."""
    jid, act, tpl, pid = uid("ssrf"), uid("crm"), uid("t"), uid("p")
    await api.template(tpl, "{{ vars.crm.error }}")
    with FakeProvider() as provider:
        url = provider.url.replace("127.0.0.1", "localhost")
        await api.action(act, {"url": url, "retry": FAST_RETRY})
        await api.journey(
            jid,
            {
                "crm": {"type": "action", "action": act, "next": "done", "on_error": "refused"},
                "refused": {"type": "message", "channel": "log", "template": tpl, "next": "done"},
                "done": {"type": "end"},
            },
        )
        await api.event(f"{jid}.go", pid)
        assert await api.result(jid, pid) == "completed"
        assert provider.requests == []
    [call] = await calls_of(api.pool, jid)
    assert call["status"] == "failed"
    assert call["error"].startswith("refused: localhost resolves to internal address")
    [msg] = await api.messages(pid, jid)
    assert msg["node_id"] == "refused" and "WAYLINE_ACTION_ALLOWED_HOSTS" in msg["body"]


async def test_rate_limited_action_spreads_the_calls(api: Api) -> None:
    """50 profiles at once through an action limited to 5 calls/s: the Temporal task-queue
    limit spreads the calls over about 10 s, whatever the number of entries."""
    jid, act, n = uid("rate"), uid("slow"), 50
    profiles = [f"{jid}-p{i}" for i in range(n)]
    with FakeProvider() as provider:
        await api.action(
            act, {"url": provider.url, "body": '{"p": "{{ params.p }}"}', "rate_limit": 5}
        )
        await api.journey(
            jid,
            {
                "crm": {
                    "type": "action",
                    "action": act,
                    "params": {"p": "{{ profile.profile_id }}"},
                    "next": "done",
                    "on_error": "done",
                },
                "done": {"type": "end"},
            },
        )
        await api.events(f"{jid}.go", profiles)
        rows = await eventually(lambda: api.all_ended(jid, n), limit=40)
    assert {r["status"] for r in rows} == {"completed"}
    assert sorted(body["p"] for _, body in provider.requests) == sorted(profiles)
    spread = max(provider.times) - min(provider.times)
    assert 9.0 <= spread <= 20.0, f"50 calls at 5/s arrived over {spread:.1f}s"
    calls = await calls_of(api.pool, jid)
    assert len(calls) == n and {c["status"] for c in calls} == {"succeeded"}


# --- fetch -------------------------------------------------------------------------------


async def test_fetch_reuses_a_response_within_its_ttl(api: Api) -> None:
    jid, src, tpl = uid("fetch"), uid("plans"), uid("t")
    first, second = uid("p"), uid("p")
    await api.template(tpl, "{{ vars.lookup.plan }}/{{ vars.lookup.limits.seats }}")
    with FakeProvider() as provider:
        provider.response = {"plan": "pro", "limits": {"seats": 5, "other": 1}, "secret": "s"}
        await api.data_source(
            src,
            {
                "url": provider.url + "?q={{ params.q }}",
                "ttl_seconds": 60,
                "response_fields": ["plan", "limits.seats"],
            },
        )
        await api.journey(
            jid,
            {
                "lookup": {
                    "type": "fetch",
                    "source": src,
                    "params": {"q": "all"},
                    "next": "hello",
                },
                "hello": {"type": "message", "channel": "log", "template": tpl, "next": "done"},
                "done": {"type": "end"},
            },
        )
        for pid in (first, second):  # one after the other: the second finds the cache
            await api.event(f"{jid}.go", pid)
            assert await api.result(jid, pid) == "completed"
    assert provider.paths == ["GET /hook?q=all"], "one HTTP request for both profiles"
    for pid in (first, second):
        [msg] = await api.messages(pid, jid)
        assert msg["body"] == "pro/5"
    calls = await calls_of(api.pool, jid)
    assert [(c["kind"], c["status"]) for c in calls] == [("fetch", "succeeded")] * 2
    assert calls[0]["response"] == calls[1]["response"] == {"plan": "pro", "limits": {"seats": 5}}


# --- split and experiment ----------------------------------------------------------------


async def test_split_is_weighted_and_stable_per_profile(api: Api) -> None:
    jid, tpl = uid("split"), uid("t")
    weights = [50, 50]

    def path_of(pid: str) -> int:
        return bucket(f"{jid}|{pid}|ab", weights)

    profiles = [f"{jid}-p{i}" for i in range(40)]
    assert {path_of(p) for p in profiles} == {0, 1}, "40 hashed profiles use both paths"
    await api.template(tpl, "hi")
    message = {"type": "message", "channel": "log", "template": tpl, "next": "done"}
    await api.journey(
        jid,
        {
            "ab": {
                "type": "split",
                "paths": [
                    {"name": "a", "weight": 50, "next": "mail_a"},
                    {"name": "b", "weight": 50, "next": "mail_b"},
                ],
            },
            "mail_a": message,
            "mail_b": message,
            "done": {"type": "end"},
        },
        reentry={"mode": "always"},
    )
    await api.events(f"{jid}.go", profiles)
    await eventually(lambda: api.all_ended(jid, 40), limit=40)
    rows = await api.pool.fetch(
        "SELECT profile_id, node_id FROM messages WHERE journey_id = $1", jid
    )
    taken = {r["profile_id"]: r["node_id"] for r in rows}
    assert len(rows) == 40 and set(taken) == set(profiles)
    assert taken == {p: ("mail_a", "mail_b")[path_of(p)] for p in profiles}
    # The same profiles entering again land on the same paths (sticky by default).
    again = profiles[:10]
    await api.events(f"{jid}.go", again)
    await eventually(lambda: api.all_ended(jid, 50), limit=30)
    rows = await api.pool.fetch(
        "SELECT profile_id, array_agg(node_id) AS nodes FROM messages "
        "WHERE journey_id = $1 AND profile_id = ANY($2::text[]) GROUP BY profile_id",
        jid,
        again,
    )
    assert {r["profile_id"]: r["nodes"] for r in rows} == {p: [taken[p]] * 2 for p in again}


async def test_experiment_records_the_variant_it_takes(api: Api) -> None:
    jid, tpl = uid("exp"), uid("t")
    node = {
        "type": "experiment",
        "variants": [
            {"name": "ten", "weight": 40, "next": "n10"},
            {"name": "twenty", "weight": 40, "next": "n20"},
        ],
        "holdout": {"weight": 20, "next": "done"},
    }
    model = ExperimentNode.model_validate(node)

    def variant_of(pid: str) -> str:
        return experiment_variant(jid, pid, "offer", model)[0]

    profiles: list[str] = []
    while {variant_of(p) for p in profiles} != {"ten", "twenty", "holdout"}:
        profiles = [uid("p") for _ in range(40)]  # almost always at the first draw
    await api.template(tpl, "offer")
    await api.journey(
        jid,
        {
            "offer": node,
            "n10": {"type": "message", "channel": "log", "template": tpl, "next": "done"},
            "n20": {"type": "message", "channel": "log", "template": tpl, "next": "done"},
            "done": {"type": "end"},
        },
    )
    await api.events(f"{jid}.go", profiles)
    await eventually(lambda: api.all_ended(jid, 40), limit=40)
    rows = await api.pool.fetch(
        "SELECT profile_id, node_id, version, variant FROM experiment_assignments "
        "WHERE journey_id = $1",
        jid,
    )
    assert len(rows) == 40, "one assignment per profile"
    assigned = {r["profile_id"]: r["variant"] for r in rows}
    assert assigned == {p: variant_of(p) for p in profiles}
    assert {(r["node_id"], r["version"]) for r in rows} == {("offer", 1)}
    msgs = await api.pool.fetch(
        "SELECT profile_id, node_id FROM messages WHERE journey_id = $1", jid
    )
    sent = {r["profile_id"]: r["node_id"] for r in msgs}
    expected = {"ten": "n10", "twenty": "n20"}
    assert sent == {p: expected[v] for p, v in assigned.items() if v != "holdout"}
    assert len(msgs) == len(sent), "one message per profile outside the holdout"


# --- update_profile and jump -------------------------------------------------------------


async def test_update_profile_sets_and_increments_once(
    api: Api, settings: Settings, temporal_client: Client
) -> None:
    jid, tpl, pid = uid("upd"), uid("t"), uid("p")
    await api.template(tpl, "{{ profile.attributes.tier }} #{{ profile.attributes.orders }}")
    await api.profile(pid, attributes={"orders": 2, "tier": "silver", "keep": "me"})
    await api.journey(
        jid,
        {
            "tag": {
                "type": "update_profile",
                "set": {"tier": "'gold'", "last_total": "event.properties.total"},
                "increment": {"orders": 1, "points": "event.properties.total * 2"},
                "next": "check",
            },
            "check": {
                "type": "condition",
                "branches": [
                    {
                        "when": "profile.attributes.orders == 3 "
                        "and profile.attributes.tier == 'gold'",
                        "next": "hello",
                    }
                ],
                "otherwise": "done",
            },
            "hello": {"type": "message", "channel": "log", "template": tpl, "next": "done"},
            "done": {"type": "end"},
        },
    )
    await api.event(f"{jid}.go", pid, total=21)
    assert await api.result(jid, pid) == "completed"
    expected = {"orders": 3, "tier": "gold", "keep": "me", "last_total": 21, "points": 42}
    resp = await api.http.get(f"/v1/profiles/{pid}", headers=api.headers)
    assert resp.json()["attributes"] == expected
    [msg] = await api.messages(pid, jid)
    assert msg["body"] == "gold #3", "the journey goes on with the updated profile"
    [update_id] = [
        r["update_id"]
        for r in await api.pool.fetch(
            "SELECT update_id FROM profile_updates WHERE profile_id = $1", pid
        )
    ]
    # A retried activity (same update id) finds its ledger row and changes nothing.
    steps = StepActivities(api.pool, temporal_client, settings.task_queue)
    retried = UpdateProfileInput(
        update_id=update_id, profile_id=pid, set={"tier": "gold"}, increment={"orders": 1.0}
    )
    assert (await steps.update_profile(retried)).attributes == expected
    resp = await api.http.get(f"/v1/profiles/{pid}", headers=api.headers)
    assert resp.json()["attributes"] == expected


async def test_jump_enters_the_target_journey_with_the_entry_payload(api: Api) -> None:
    source, target, tpl, pid = uid("from"), uid("to"), uid("t"), uid("p")
    await api.template(
        tpl, "{{ event.name }} {{ event.properties.total }} via {{ event.properties.jumped_from }}"
    )
    await api.journey(
        target,
        {
            "hello": {"type": "message", "channel": "log", "template": tpl, "next": "done"},
            "done": {"type": "end"},
        },
    )
    await api.journey(source, {"hop": {"type": "jump", "journey": target, "end": True}})
    await api.event(f"{source}.go", pid, total=42)
    assert await api.result(source, pid) == "completed"
    assert await api.result(target, pid) == "completed"
    [left] = await api.entries(source)
    assert (left["status"], left["reason"]) == ("completed", f"jumped to {target}")
    [entered] = await api.entries(target)
    assert entered["profile_id"] == pid and entered["status"] == "completed"
    [msg] = await api.messages(pid, target)
    assert msg["body"] == f"{source}.go 42 via {source}"


# --- waits -------------------------------------------------------------------------------


async def test_wait_until_time_past_passes_and_near_future_holds(api: Api) -> None:
    jid, tpl, pid = uid("until"), uid("t"), uid("p")
    now = datetime.now(UTC)
    soon = now + timedelta(seconds=5)  # time enough to enter and be seen waiting
    await api.template(tpl, "hi")
    await api.journey(
        jid,
        {
            "past": {
                "type": "wait",
                "until_time": (now - timedelta(hours=1)).isoformat(),
                "next": "soon",
            },
            "soon": {"type": "wait", "until_time": soon.isoformat(), "next": "hello"},
            "hello": {"type": "message", "channel": "log", "template": tpl, "next": "done"},
            "done": {"type": "end"},
        },
    )
    await api.event(f"{jid}.go", pid)
    held = await eventually(lambda: api.waiting_at(jid, pid, "soon"))
    assert held.wait is not None and held.wait.until == soon
    assert await api.messages(pid, jid) == []
    assert await api.result(jid, pid) == "completed"
    [msg] = await api.messages(pid, jid)
    assert datetime.fromisoformat(msg["created_at"]) >= soon
    state = await api.state(jid, pid)
    assert state is not None
    assert [(s.node, s.outcome) for s in state.path[:2]] == [
        ("past", "passed"),
        ("soon", "elapsed"),
    ]


def next_occurrence(now: datetime, days: set[int], hour: int, minute: int, tz: tzinfo) -> datetime:
    """The test's own oracle: the first HH:MM local time on one of `days` after `now`."""
    local = now.astimezone(tz)
    for offset in range(8):
        day = (local + timedelta(days=offset)).date()
        if day.weekday() in days:
            moment = datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz)
            if moment > now:
                return moment
    raise AssertionError("no occurrence within 8 days")


async def test_wait_next_weekday_targets_the_next_occurrence(api: Api) -> None:
    """Waiting days in real time is not possible: the state shows the timer's target, then
    an exit_on event ends the journeys."""
    paris, by_profile = uid("monday"), uid("weekend")
    p_paris, p_ny, p_utc = uid("p"), uid("p"), uid("p")
    await api.journey(
        paris,
        {
            "monday": {
                "type": "wait",
                "next_weekday": {"days": ["mon"], "time": "09:00", "timezone": "Europe/Paris"},
                "next": "done",
            },
            "done": {"type": "end"},
        },
        exit_on=[f"{paris}.stop"],
    )
    await api.journey(
        by_profile,
        {
            "weekend": {
                "type": "wait",
                "next_weekday": {"days": ["fri", "sat"], "time": "07:30"},
                "next": "done",
            },
            "done": {"type": "end"},
        },
        exit_on=[f"{by_profile}.stop"],
    )
    await api.profile(p_ny, timezone="America/New_York")
    await api.profile(p_utc)
    cases = [
        (paris, p_paris, "monday", {0}, (9, 0), ZoneInfo("Europe/Paris")),
        (by_profile, p_ny, "weekend", {4, 5}, (7, 30), ZoneInfo("America/New_York")),
        (by_profile, p_utc, "weekend", {4, 5}, (7, 30), UTC),
    ]
    for jid, pid, *_ in cases:
        await api.event(f"{jid}.go", pid)
    for jid, pid, node, days, (hour, minute), tz in cases:
        state = await eventually(lambda j=jid, p=pid, n=node: api.waiting_at(j, p, n))
        assert state.wait is not None
        until = state.wait.until
        assert until == next_occurrence(state.entered_at, days, hour, minute, tz), (pid, until)
        local = until.astimezone(tz)
        assert local.weekday() in days and (local.hour, local.minute) == (hour, minute)
        assert timedelta(0) < until - state.entered_at <= timedelta(days=7)
    for jid, pid, *_ in cases:
        await api.event(f"{jid}.stop", pid)
    for jid, pid, *_ in cases:
        assert await api.result(jid, pid) == "exited"


async def test_quiet_hours_defer_the_send_in_the_profile_timezone(api: Api) -> None:
    """A quiet window around the current time in Kolkata (UTC+05:30, no DST): a profile there
    waits for the window's end; a profile without timezone (UTC) is 5.5 h outside it."""
    jid, tpl = uid("quiet"), uid("t")
    inside, outside = uid("p"), uid("p")
    kolkata = ZoneInfo("Asia/Kolkata")
    local = datetime.now(kolkata)
    start, end = local - timedelta(hours=1), local + timedelta(hours=2)
    await api.template(tpl, "hi")
    await api.journey(
        jid,
        {
            "greet": {
                "type": "message",
                "channel": "log",
                "template": tpl,
                "quiet_hours": {"start": start.strftime("%H:%M"), "end": end.strftime("%H:%M")},
                "next": "done",
            },
            "done": {"type": "end"},
        },
        exit_on=[f"{jid}.stop"],
    )
    await api.profile(inside, timezone="Asia/Kolkata")
    await api.profile(outside)
    await api.event(f"{jid}.go", inside)
    await api.event(f"{jid}.go", outside)
    assert await api.result(jid, outside) == "completed"
    assert len(await api.messages(outside, jid)) == 1
    state = await eventually(lambda: api.waiting_at(jid, inside, "greet"))
    assert state.wait is not None
    assert state.wait.until == end.replace(second=0, microsecond=0)
    assert state.path[-1].outcome == "deferred by quiet hours"
    # no message inside the quiet hours: a 'deferred' ledger row says when it will go
    deferred = await eventually(lambda: api.messages(inside, jid))
    assert [(m["status"], m["reason"]) for m in deferred] == [("deferred", "quiet_hours")]
    assert datetime.fromisoformat(deferred[0]["deferred_until"]) == state.wait.until
    await api.event(f"{jid}.stop", inside)
    assert await api.result(jid, inside) == "exited", "exit_on still ends a deferred send"
    ended = [(m["status"], m["reason"]) for m in await api.messages(inside, jid)]
    assert ended == [("skipped", "quiet_hours: the journey ended before the send")]


async def test_wait_for_reaction_to_the_message_sent(api: Api) -> None:
    jid, tpl, pid = uid("react"), uid("t"), uid("p")
    await api.template(tpl, "hello")
    await api.template(f"{tpl}-thanks", "thanks for reading")
    await api.journey(
        jid,
        {
            "greet": {"type": "message", "channel": "log", "template": tpl, "next": "opened"},
            "opened": {
                "type": "wait_for_event",
                "reaction": {"to": "greet", "kind": "opened"},
                "timeout": "PT60S",
                "on_event": "thanks",
                "on_timeout": "done",
            },
            "thanks": {
                "type": "message",
                "channel": "log",
                "template": f"{tpl}-thanks",
                "next": "done",
            },
            "done": {"type": "end"},
        },
    )
    await api.event(f"{jid}.go", pid)
    [greet] = await eventually(lambda: api.messages(pid, jid))
    await eventually(lambda: api.waiting_at(jid, pid, "opened"))
    # An opened event for another message is delivered and ignored.
    other = await api.event("message.opened", pid, message_id=str(uuid.uuid4()))

    async def seen() -> JourneyState | None:
        state = await api.state(jid, pid)
        return state if state is not None and other in state.seen_event_ids else None

    state = await eventually(seen)
    assert state.node == "opened" and state.wait is not None and state.status == "active"
    await api.event("message.opened", pid, message_id=greet["message_id"])
    assert await api.result(jid, pid) == "completed"
    msgs = await api.messages(pid, jid)
    assert [m["node_id"] for m in msgs] == ["greet", "thanks"]
    final = await api.state(jid, pid)
    assert final is not None
    assert [s.outcome for s in final.path if s.node == "opened"] == ["event message.opened"]


# --- entry rules -------------------------------------------------------------------------


async def test_entry_cap_max_inside_and_per_day(api: Api) -> None:
    jid = uid("cap")
    await api.journey(
        jid,
        {
            "hold": {
                "type": "wait_for_event",
                "event": f"{jid}.never",
                "timeout": "PT60S",
                "on_event": "done",
                "on_timeout": "done",
            },
            "done": {"type": "end"},
        },
        entry_cap={"max_inside": 2},
        exit_on=[f"{jid}.leave"],
    )
    profiles = [uid("p") for _ in range(4)]
    await api.events(f"{jid}.go", profiles)

    async def two_inside() -> list[str] | None:
        rows = await api.entries(jid)
        return [r["profile_id"] for r in rows] if len(rows) == 2 else None

    inside = await eventually(two_inside)
    for pid in set(profiles) - set(inside):
        assert await api.result(jid, pid) == "not entered: entry cap: 2 profiles inside"
    rows = await api.entries(jid)
    assert [r["status"] for r in rows] == ["active", "active"], "the refused left no entry"
    for pid in inside:
        await api.event(f"{jid}.leave", pid)
    for pid in inside:
        assert await api.result(jid, pid) == "exited"
    late = uid("p")  # room again once they left
    await api.event(f"{jid}.go", late)
    await eventually(lambda: api.waiting_at(jid, late, "hold"))
    await api.event(f"{jid}.leave", late)
    assert await api.result(jid, late) == "exited"

    daily = uid("daily")
    await api.journey(daily, {"done": {"type": "end"}}, entry_cap={"per_day": 2})
    profiles = [uid("p") for _ in range(3)]
    await api.events(f"{daily}.go", profiles)
    results = sorted([await api.result(daily, pid) for pid in profiles])
    assert results == [
        "completed",
        "completed",
        "not entered: entry cap: 2 entries per day reached",
    ]


async def test_entry_window_in_the_future_takes_no_entry(api: Api) -> None:
    jid, pid = uid("window"), uid("p")
    start = datetime.now(UTC) + timedelta(days=1)
    await api.journey(jid, {"done": {"type": "end"}}, entry_window={"start": start.isoformat()})
    event_id = await api.event(f"{jid}.go", pid)
    dispatched = "SELECT dispatched_at IS NOT NULL FROM events WHERE event_id = $1"
    await eventually(lambda: api.pool.fetchval(dispatched, event_id))
    assert await api.entries(jid) == []
    handle = api.temporal.get_workflow_handle(journey_workflow_id(jid, pid))
    with pytest.raises(RPCError) as exc:
        await handle.describe()
    assert exc.value.status == RPCStatusCode.NOT_FOUND, "no workflow was even started"


async def test_entry_right_after_a_publish_the_router_has_not_heard_of(
    api: Api, runtime: Runtime
) -> None:
    """The router learns of publishes by NOTIFY, which may reach it after an event stored
    later (or be lost with its connection). An event committed after the publish must still
    enter: here the journey is made live with no NOTIFY at all."""
    jid, pid, tpl = uid("unheard"), uid("p"), uid("t")

    async def loaded() -> bool:
        return runtime.dispatcher.router.registry.loaded_at is not None

    await eventually(loaded)  # the dispatcher has its registry, from before the publish
    defn = {
        "id": jid,
        "name": jid,
        "entry": {"event": f"{jid}.go"},
        "start": "done",
        "nodes": {"done": {"type": "end"}},
    }
    await publish(api.pool, defn, tpl)  # straight to the tables: no NOTIFY
    await api.event(f"{jid}.go", pid)
    assert await api.result(jid, pid, limit=15) == "completed"


# --- dry run -----------------------------------------------------------------------------


async def test_dry_run_records_without_performing(api: Api) -> None:
    jid, target, act, tpl, pid = uid("dry"), uid("to"), uid("crm"), uid("t"), uid("p")
    await api.template(tpl, "hi {{ profile.profile_id }}")
    await api.profile(pid, attributes={"tier": "silver"})
    await api.journey(target, {"done": {"type": "end"}})
    with FakeProvider() as provider:
        await api.action(act, {"url": provider.url, "retry": FAST_RETRY})
        await api.journey(
            jid,
            {
                "crm": {"type": "action", "action": act, "next": "hello", "on_error": "done"},
                "hello": {"type": "message", "channel": "log", "template": tpl, "next": "tag"},
                "tag": {"type": "update_profile", "set": {"tier": "'gold'"}, "next": "hop"},
                "hop": {"type": "jump", "journey": target, "next": "done"},
                "done": {"type": "end"},
            },
            dry_run=True,
        )
        await api.event(f"{jid}.go", pid)
        assert await api.result(jid, pid) == "completed"
        assert provider.requests == [], "a dry run calls no provider"
    [msg] = await api.messages(pid, jid)
    assert (msg["status"], msg["body"], msg["sent_at"]) == ("dry_run", f"hi {pid}", None)
    [call] = await calls_of(api.pool, jid)
    assert (call["status"], call["node_id"]) == ("dry_run", "crm")
    assert call["request"]["url"] == provider.url, "the request is recorded as it would go"
    resp = await api.http.get(f"/v1/profiles/{pid}", headers=api.headers)
    assert resp.json()["attributes"] == {"tier": "silver"}, "the profile is not changed"
    assert await api.entries(target) == [], "nor is the profile jumped elsewhere"
    [entry] = await api.entries(jid)
    assert entry["status"] == "completed"


async def test_fetch_cache_is_not_shared_across_credentials(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two data sources reading the same URL with different secrets: each gets its own
    answer; a response read with one credential is never served to the other."""
    jid_a, jid_b, tpl, pid = uid("fetch-a"), uid("fetch-b"), uid("t"), uid("p")
    secrets = {}
    for jid, value in ((jid_a, "token-a"), (jid_b, "token-b")):
        secret = jid.replace("-", "_")
        monkeypatch.setenv(f"WAYLINE_SECRET_{secret.upper()}", value)
        monkeypatch.setenv(f"WAYLINE_SECRET_{secret.upper()}_HOSTS", "127.0.0.1")
        secrets[jid] = secret
    await api.template(tpl, "{{ vars.lookup.tenant }}")
    with FakeProvider() as provider:
        provider.response = {"tenant": "whoever asked first"}
        for jid in (jid_a, jid_b):
            src = f"{jid}-src"
            await api.data_source(
                src,
                {
                    "url": provider.url,
                    "ttl_seconds": 60,
                    "auth": {"type": "bearer", "secret": secrets[jid]},
                },
            )
            await api.journey(
                jid,
                {
                    "lookup": {"type": "fetch", "source": src, "next": "hello"},
                    "hello": {"type": "message", "channel": "log", "template": tpl, "next": "done"},
                    "done": {"type": "end"},
                },
            )
            await api.event(f"{jid}.go", pid)
            assert await api.result(jid, pid) == "completed"
    auths = [h["Authorization"] for h in provider.headers]
    assert auths == ["Bearer token-a", "Bearer token-b"]

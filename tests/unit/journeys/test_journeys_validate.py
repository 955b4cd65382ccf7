"""The validator: every problem kind, with its exact path, and all at once."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from journeys.model import JourneyDefinition
from journeys.problems import Problem, format_path
from journeys.validate import parse_definition, validate

Data = dict[str, Any]
CHANNELS = {"email", "sms"}
TEMPLATES = {"cart-reminder", "coupon-sms"}


def _walk(data: Data, path: str) -> tuple[Any, str | int]:
    """The container holding `a.b.0.c` and the last key (list indexes as numbers)."""
    *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
    target: Any = data
    for part in parents:
        target = target[part]
    return target, last


def setting(path: str, value: Any) -> Callable[[Data], None]:
    """A mutation that sets `path` in the definition."""

    def apply(data: Data) -> None:
        target, last = _walk(data, path)
        target[last] = value

    return apply


def deleting(path: str) -> Callable[[Data], None]:
    """A mutation that removes `path` from the definition."""

    def apply(data: Data) -> None:
        target, last = _walk(data, path)
        del target[last]

    return apply


UNREACHABLE_AFTER_REMIND = [
    ("nodes.wait_day", "unreachable from start"),
    ("nodes.big_cart", "unreachable from start"),
    ("nodes.sms_coupon", "unreachable from start"),
]

KEYED = setting("entry.key", "event.properties.cart_id")

CASES: list[tuple[str, list[Callable[[Data], None]], list[tuple[str, str]]]] = [
    (
        "key reads the profile",
        [setting("entry.key", "profile.attributes.cart")],
        [("entry.key", "unknown name 'profile'; available: event")],
    ),
    (
        "key reads the clock",
        [setting("entry.key", "event.properties.cart_id ~ now")],
        [("entry.key", "unknown name 'now'; available: event")],
    ),
    (
        "key does not compile",
        [setting("entry.key", "event.properties.(")],
        [("entry.key", "invalid expression: syntax error")],
    ),
    ("key not a string", [setting("entry.key", 7)], [("entry.key", "valid string")]),
    (
        "key with audience entry",
        [setting("entry", {"audience": {"id": "vip", "on": "enter"}, "key": "event.name"})],
        [("entry.key", "only with event entry")],
    ),
    (
        "key with exit_on_audience",
        [KEYED, setting("exit_on_audience", ["vip"])],
        [("exit_on_audience", "not with entry.key")],
    ),
    (
        "key with a reaction",
        [KEYED, setting("nodes.wait_order.event", "message.opened")],
        [("nodes.wait_order.event", "keyed journey cannot wait for it")],
    ),
    (
        "key with a reaction node",
        [
            KEYED,
            deleting("nodes.wait_order.event"),
            setting("nodes.wait_order.reaction", {"to": "remind", "kind": "opened"}),
        ],
        [("nodes.wait_order.reaction", "keyed journey cannot wait for it")],
    ),
    ("unknown start", [setting("start", "nope")], [("start", "unknown node 'nope'")]),
    (
        "unknown next",
        [setting("nodes.sms_coupon.next", "nope")],
        [("nodes.sms_coupon.next", "unknown node 'nope'")],
    ),
    (
        "unknown on_event",
        [setting("nodes.wait_order.on_event", "nope")],
        [("nodes.wait_order.on_event", "unknown node 'nope'")],
    ),
    (
        "unknown on_timeout",
        [setting("nodes.wait_order.on_timeout", "nope")],
        [
            ("nodes.wait_order.on_timeout", "unknown node 'nope'"),
            ("nodes.remind", "unreachable from start"),
            *UNREACHABLE_AFTER_REMIND,
        ],
    ),
    (
        "unknown branch next",
        [setting("nodes.big_cart.branches.0.next", "nope")],
        [
            ("nodes.big_cart.branches[0].next", "unknown node 'nope'"),
            ("nodes.sms_coupon", "unreachable from start"),
        ],
    ),
    (
        "unknown otherwise",
        [setting("nodes.big_cart.otherwise", "nope")],
        [("nodes.big_cart.otherwise", "unknown node 'nope'")],
    ),
    (
        "missing next",
        [deleting("nodes.remind.next")],
        [("nodes.remind.next", "required"), *UNREACHABLE_AFTER_REMIND],
    ),
    (
        "unreachable node",
        [setting("nodes.orphan", {"type": "end"})],
        [("nodes.orphan", "unreachable from start")],
    ),
    (
        "cycle without a wait",
        [setting("nodes.sms_coupon.next", "big_cart")],
        [("nodes.big_cart", "cycle without a wait through big_cart, sms_coupon")],
    ),
    (
        "self loop",
        [setting("nodes.big_cart.otherwise", "big_cart")],
        [("nodes.big_cart", "cycle without a wait through big_cart")],
    ),
    (
        "cycle through a zero wait",
        [setting("nodes.wait_day.duration", "PT0S"), setting("nodes.sms_coupon.next", "wait_day")],
        [("nodes.wait_day", "cycle without a wait through wait_day, big_cart, sms_coupon")],
    ),
    (
        "entry when syntax",
        [setting("entry.when", "event.properties.total >")],
        [("entry.when", "invalid expression: syntax error")],
    ),
    (
        "branch when syntax",
        [setting("nodes.big_cart.branches.0.when", "total >> 1")],
        [("nodes.big_cart.branches[0].when", "invalid expression: syntax error")],
    ),
    (
        "unknown name",
        [setting("nodes.big_cart.branches.0.when", "customer.total > 1 and cart")],
        [("nodes.big_cart.branches[0].when", "unknown name 'cart', 'customer'; available:")],
    ),
    (
        "received outside wait_for_event",
        [setting("nodes.big_cart.branches.0.when", "received.properties.total > 1")],
        [("nodes.big_cart.branches[0].when", "`received` is only available")],
    ),
    (
        "wait_for_event when syntax",
        [setting("nodes.wait_order.when", "received.properties.total >")],
        [("nodes.wait_order.when", "invalid expression")],
    ),
    (
        "wait until syntax",
        [deleting("nodes.wait_day.duration"), setting("nodes.wait_day.until", "now +")],
        [("nodes.wait_day.until", "invalid expression")],
    ),
    (
        "wait with duration and until",
        [setting("nodes.wait_day.until", "now")],
        [("nodes.wait_day.until", "either duration or until, not both")],
    ),
    (
        "wait with neither",
        [deleting("nodes.wait_day.duration")],
        [("nodes.wait_day.duration", "required (or give until)")],
    ),
    (
        "wait longer than timeout",
        [setting("nodes.wait_day.duration", "P31D")],
        [("nodes.wait_day.duration", "P31D is longer than the journey timeout P30D")],
    ),
    (
        "wait_for_event longer than timeout",
        [setting("nodes.wait_order.timeout", "P1M")],
        [("nodes.wait_order.timeout", "P1M is longer than the journey timeout P30D")],
    ),
    (
        "bad duration",
        [setting("nodes.wait_day.duration", "1 day")],
        [("nodes.wait_day.duration", "not an ISO 8601 duration")],
    ),
    ("bad timeout", [setting("timeout", "forever")], [("timeout", "not an ISO 8601 duration")]),
    ("zero timeout", [setting("timeout", "PT0S")], [("timeout", "must be longer than zero")]),
    (
        "reentry after without wait",
        [setting("reentry", {"mode": "after"})],
        [("reentry.wait", "required when mode is after")],
    ),
    (
        "reentry wait without after",
        [setting("reentry", {"mode": "always", "wait": "PT1H"})],
        [("reentry.wait", "only allowed when mode is after")],
    ),
    (
        "unknown channel",
        [setting("nodes.remind.channel", "fax")],
        [("nodes.remind.channel", "unknown channel 'fax'; known: email, sms")],
    ),
    (
        "unknown template",
        [setting("nodes.remind.template", "nope")],
        [("nodes.remind.template", "unknown template 'nope'")],
    ),
    (
        "unknown node type",
        [setting("nodes.remind.type", "mail")],
        [("nodes.remind.type", "unknown node type 'mail'"), *UNREACHABLE_AFTER_REMIND],
    ),
    ("missing node type", [deleting("nodes.done.type")], [("nodes.done.type", "required")]),
    (
        "unknown field",
        [setting("nodes.remind.subject", "Hi")],
        [("nodes.remind.subject", "unknown field")],
    ),
    ("unknown top-level field", [setting("version", 2)], [("version", "unknown field")]),
    ("missing name", [deleting("name")], [("name", "required")]),
    ("bad id", [setting("id", "Abandoned Cart")], [("id", "must be a slug")]),
    (
        "bad node id",
        [setting("nodes.bad id", {"type": "end"})],
        [('nodes["bad id"]', "invalid node id"), ('nodes["bad id"]', "unreachable from start")],
    ),
    ("node not a mapping", [setting("nodes.done", "end")], [("nodes.done", "must be a mapping")]),
    ("exit_on not a list", [setting("exit_on", "order.completed")], [("exit_on", "valid list")]),
    (
        "no branches",
        [setting("nodes.big_cart.branches", [])],
        [("nodes.big_cart.branches", "at least 1 item"), ("nodes.sms_coupon", "unreachable")],
    ),
    (
        "branch without when",
        [deleting("nodes.big_cart.branches.0.when")],
        [("nodes.big_cart.branches[0].when", "required")],
    ),
]


def problems_of(data: Data) -> list[Problem]:
    return validate(data, known_channels=CHANNELS, known_templates=TEMPLATES)


def test_the_design_example_is_valid(cart_data: Data) -> None:
    definition, problems = parse_definition(
        cart_data, known_channels=CHANNELS, known_templates=TEMPLATES
    )
    assert problems == []
    assert isinstance(definition, JourneyDefinition)


@pytest.mark.parametrize(
    ("mutations", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_problem_paths(
    cart_data: Data, mutations: list[Callable[[Data], None]], expected: list[tuple[str, str]]
) -> None:
    for mutate in mutations:
        mutate(cart_data)
    definition, problems = parse_definition(
        cart_data, known_channels=CHANNELS, known_templates=TEMPLATES
    )
    assert definition is None
    assert sorted(p.path for p in problems) == sorted(path for path, _ in expected)
    for path, message in expected:
        assert any(p.path == path and message in p.message for p in problems), (path, problems)


def test_every_problem_at_once(cart_data: Data) -> None:
    """One pass reports shape, graph, expression, duration and catalog problems together."""
    chosen = {
        "unknown otherwise", "unreachable node", "cycle without a wait", "entry when syntax",
        "wait longer than timeout", "unknown channel", "unknown field", "bad id",
        "reentry after without wait", "missing node type",
    }  # fmt: skip
    expected: list[tuple[str, str]] = []
    for name, case_mutations, case_expected in CASES:
        if name in chosen:
            for mutate in case_mutations:
                mutate(cart_data)
            expected.extend(case_expected)
    problems = problems_of(cart_data)
    for path, message in expected:
        assert any(p.path == path and message in p.message for p in problems), (path, problems)
    assert len(problems) == len(expected)


def test_a_keyed_journey_is_valid(cart_data: Data) -> None:
    KEYED(cart_data)
    definition, problems = parse_definition(
        cart_data, known_channels=CHANNELS, known_templates=TEMPLATES
    )
    assert problems == []
    assert definition is not None and definition.entry.key == "event.properties.cart_id"


def test_known_sets_are_optional(cart_data: Data) -> None:
    cart_data["nodes"]["remind"]["channel"] = "carrier-pigeon"
    assert validate(cart_data) == []


@pytest.mark.parametrize("data", [[], "id: x", None, 3])
def test_not_a_mapping(data: Any) -> None:
    definition, problems = parse_definition(data)
    assert definition is None
    assert problems == [Problem(path="", message="a journey definition must be a mapping")]


def test_received_is_allowed_in_wait_for_event_when(cart_data: Data) -> None:
    cart_data["nodes"]["wait_order"]["when"] = (
        "received.properties.cart_id == event.properties.cart_id and profile.email"
    )
    assert problems_of(cart_data) == []


def test_problems_serialise(cart_data: Data) -> None:
    cart_data["start"] = "nope"
    dumped = [p.model_dump() for p in problems_of(copy.deepcopy(cart_data))]
    assert dumped == [{"path": "start", "message": "unknown node 'nope'"}]


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        (["nodes", "big_cart", "branches", 0, "when"], "nodes.big_cart.branches[0].when"),
        (["nodes", "a b"], 'nodes["a b"]'),
        (["timeout"], "timeout"),
        ([], ""),
    ],
)
def test_format_path(parts: list[str | int], expected: str) -> None:
    assert format_path(parts) == expected


# --- the newer node types and journey fields -----------------------------------------------

FEATURE_CATALOGS: dict[str, set[str]] = {
    "known_channels": {"email"},
    "known_templates": {"welcome"},
    "known_actions": {"slack-sales"},
    "known_sources": {"crm-contact"},
    "known_journeys": {"retention", "onboarding"},
}

FEATURE_CASES: list[tuple[str, list[Callable[[Data], None]], list[tuple[str, str]]]] = [
    (
        "split weights",
        [setting("nodes.ab.paths.0.weight", 20)],
        [("nodes.ab.paths", "weights must add up to 100, not 90")],
    ),
    (
        "split names",
        [setting("nodes.ab.paths.1.name", "fast")],
        [("nodes.ab.paths", "names must be unique: fast")],
    ),
    (
        "split weight not an integer",
        [setting("nodes.ab.paths.0.weight", 30.5)],
        [("nodes.ab.paths[0].weight", "valid integer")],
    ),
    (
        "split without paths",
        [setting("nodes.ab.paths", [])],
        [
            ("nodes.ab.paths", "at least 1 item"),
            ("nodes.welcome", "unreachable from start"),
            ("nodes.monday", "unreachable from start"),
            ("nodes.clicked", "unreachable from start"),
            ("nodes.fresh", "unreachable from start"),
            ("nodes.offer", "unreachable from start"),
            ("nodes.notify", "unreachable from start"),
            ("nodes.later", "unreachable from start"),
            ("nodes.handover", "unreachable from start"),
            ("nodes.done", "unreachable from start"),
        ],
    ),
    (
        "split unknown target",
        [setting("nodes.ab.paths.1.next", "nope")],
        [("nodes.ab.paths[1].next", "unknown node 'nope'"), ("nodes.monday", "unreachable")],
    ),
    (
        "experiment weights include the holdout",
        [setting("nodes.offer.holdout.weight", 20)],
        [("nodes.offer.variants", "weights must add up to 100, not 110")],
    ),
    (
        "experiment variant named holdout",
        [setting("nodes.offer.variants.0.name", "holdout")],
        [("nodes.offer.variants", "'holdout' is reserved")],
    ),
    (
        "experiment unknown holdout target",
        [setting("nodes.offer.holdout.next", "nope")],
        [("nodes.offer.holdout.next", "unknown node 'nope'")],
    ),
    (
        "action params template",
        [setting("nodes.notify.params.text", "{{ profile.email ")],
        [("nodes.notify.params.text", "invalid template: syntax error")],
    ),
    (
        "action params unknown name",
        [setting("nodes.notify.params.text", "{{ customer.email }}")],
        [("nodes.notify.params.text", "unknown name 'customer'")],
    ),
    (
        "action params key with spaces",
        [setting("nodes.notify.params", {"the text": "{% if %}"})],
        [('nodes.notify.params["the text"]', "invalid template")],
    ),
    (
        "action unknown on_error",
        [setting("nodes.notify.on_error", "nope")],
        [("nodes.notify.on_error", "unknown node 'nope'")],
    ),
    (
        "unknown action",
        [setting("nodes.notify.action", "teams")],
        [("nodes.notify.action", "unknown action 'teams'")],
    ),
    (
        "unknown data source",
        [setting("nodes.lookup.source", "erp")],
        [("nodes.lookup.source", "unknown data source 'erp'")],
    ),
    (
        "fetch params template",
        [setting("nodes.lookup.params.email", "{{ received.x }}")],
        [("nodes.lookup.params.email", "unknown name 'received'")],
    ),
    (
        "update_profile with nothing",
        [setting("nodes.tag.set", {}), setting("nodes.tag.increment", {})],
        [("nodes.tag.set", "give set or increment")],
    ),
    (
        "update_profile expression",
        [setting("nodes.tag.set.stage", "'a' +")],
        [("nodes.tag.set.stage", "invalid expression")],
    ),
    (
        "update_profile increment expression",
        [setting("nodes.tag.increment.journeys_started", "received")],
        [("nodes.tag.increment.journeys_started", "`received` is only available")],
    ),
    (
        "update_profile attribute set and incremented",
        [setting("nodes.tag.increment.stage", 1)],
        [("nodes.tag.increment", "also in set: stage")],
    ),
    (
        "jump to itself",
        [setting("nodes.handover.journey", "onboarding")],
        [("nodes.handover.journey", "cannot jump to itself")],
    ),
    (
        "unknown journey",
        [setting("nodes.handover.journey", "nope")],
        [("nodes.handover.journey", "unknown journey 'nope'")],
    ),
    (
        "jump without next",
        [setting("nodes.handover.end", False)],
        [("nodes.handover.next", "required unless end is true")],
    ),
    (
        "jump end with next",
        [setting("nodes.handover.next", "done")],
        [("nodes.handover.next", "not allowed when end is true")],
    ),
    (
        "until_time without offset",
        [setting("nodes.later.until_time", "2024-12-24T09:00:00")],
        [("nodes.later.until_time", "timezone")],
    ),
    (
        "until_time not a date",
        [setting("nodes.later.until_time", "christmas")],
        [("nodes.later.until_time", "valid datetime")],
    ),
    (
        "two kinds of wait",
        [setting("nodes.later.duration", "P1D")],
        [("nodes.later.until_time", "give only one of duration, until, until_time")],
    ),
    (
        "next_weekday time",
        [setting("nodes.monday.next_weekday.time", "9am")],
        [("nodes.monday.next_weekday.time", "must be a time of day as HH:MM")],
    ),
    (
        "next_weekday timezone",
        [setting("nodes.monday.next_weekday.timezone", "Paris")],
        [("nodes.monday.next_weekday.timezone", "unknown timezone 'Paris'")],
    ),
    (
        "next_weekday day",
        [setting("nodes.monday.next_weekday.days", ["monday"])],
        [("nodes.monday.next_weekday.days[0]", "'mon'")],
    ),
    (
        "next_weekday without days",
        [setting("nodes.monday.next_weekday.days", [])],
        [("nodes.monday.next_weekday.days", "at least 1 item")],
    ),
    (
        "quiet hours empty",
        [setting("nodes.welcome.quiet_hours.end", "21:00")],
        [("nodes.welcome.quiet_hours.end", "must differ from start")],
    ),
    (
        "quiet hours time",
        [setting("nodes.welcome.quiet_hours.start", "25:00")],
        [("nodes.welcome.quiet_hours.start", "HH:MM")],
    ),
    (
        "event and reaction",
        [setting("nodes.clicked.event", "x")],
        [("nodes.clicked.reaction", "either event or reaction, not both")],
    ),
    (
        "neither event nor reaction",
        [deleting("nodes.clicked.reaction")],
        [("nodes.clicked.event", "required (or give reaction)")],
    ),
    (
        "reaction to a node that is not a message",
        [setting("nodes.clicked.reaction.to", "fresh")],
        [("nodes.clicked.reaction.to", "must be a message node; 'fresh' is a condition")],
    ),
    (
        "reaction to an unknown node",
        [setting("nodes.clicked.reaction.to", "nope")],
        [("nodes.clicked.reaction.to", "unknown node 'nope'")],
    ),
    (
        "reaction kind",
        [setting("nodes.clicked.reaction.kind", "bounced")],
        [("nodes.clicked.reaction.kind", "'opened'")],
    ),
    (
        "entry window backwards",
        [setting("entry_window.end", "2023-01-01T00:00:00Z")],
        [("entry_window.end", "must be after start")],
    ),
    (
        "entry cap zero",
        [setting("entry_cap.per_day", 0)],
        [("entry_cap.per_day", "greater than or equal to 1")],
    ),
    (
        "cycle through a fixed-time wait",
        [setting("nodes.handover", {"type": "jump", "journey": "retention", "next": "later"})],
        [("nodes.later", "cycle without a wait through later, handover")],
    ),
]


@pytest.mark.parametrize(
    ("mutations", "expected"), [c[1:] for c in FEATURE_CASES], ids=[c[0] for c in FEATURE_CASES]
)
def test_feature_problem_paths(
    features_data: Data,
    mutations: list[Callable[[Data], None]],
    expected: list[tuple[str, str]],
) -> None:
    for mutate in mutations:
        mutate(features_data)
    definition, problems = parse_definition(features_data, **FEATURE_CATALOGS)
    assert definition is None
    assert sorted(p.path for p in problems) == sorted(path for path, _ in expected), problems
    for path, message in expected:
        assert any(p.path == path and message in p.message for p in problems), (path, problems)


def test_the_features_example_is_valid(features_data: Data) -> None:
    definition, problems = parse_definition(features_data, **FEATURE_CATALOGS)
    assert problems == []
    assert definition is not None and definition.dry_run


def test_a_weekday_wait_breaks_a_cycle(features_data: Data) -> None:
    features_data["nodes"]["handover"] = {"type": "jump", "journey": "retention", "next": "monday"}
    assert validate(features_data, **FEATURE_CATALOGS) == []


def test_new_catalogs_are_optional(features_data: Data) -> None:
    features_data["nodes"]["notify"]["action"] = "carrier-pigeon"
    features_data["nodes"]["handover"]["journey"] = "elsewhere"
    assert validate(features_data) == []


def test_a_decide_node_naming_an_unknown_policy_is_refused_at_publish() -> None:
    data = {
        "id": "offers",
        "name": "Offers",
        "entry": {"event": "visit"},
        "start": "pick",
        "nodes": {
            "pick": {"type": "decide", "decision": "home", "next": "done"},
            "done": {"type": "end"},
        },
    }
    problems = validate(data, known_decisions={"checkout"})
    assert [(p.path, p.message) for p in problems] == [
        ("nodes.pick.decision", "unknown decision policy 'home'")
    ]
    assert validate(data, known_decisions={"home"}) == []
    assert validate(data) == []  # not checked when the caller gives no catalog (validate alone)


_SEGMENT = re.compile(r'\.?([A-Za-z0-9_-]+)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]')


def _parts(path: str) -> list[str | int]:
    """`format_path` read back, as the console's designer reads it (validation.ts)."""
    parts: list[str | int] = []
    for m in _SEGMENT.finditer(path):
        name, index, quoted = m.groups()
        parts.append(name if name else int(index) if index else json.loads(quoted))
    assert format_path(parts) == path
    return parts


def _holds(data: Any, parts: list[str | int]) -> bool:
    for part in parts:
        in_list = isinstance(data, list) and isinstance(part, int) and part < len(data)
        if not (in_list or (isinstance(data, dict) and part in data)):
            return False
        data = data[part]
    return True


def _leaves(value: Any, path: tuple[str | int, ...] = ()) -> Iterator[tuple[str | int, ...]]:
    if path:
        yield path
    if isinstance(value, dict | list):
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            yield from _leaves(item, (*path, key))


def test_every_problem_points_at_its_field_or_the_mapping_missing_it(
    features_data: Data,
) -> None:
    """Whatever value replaces whichever part of a definition, each problem's path names
    a value of the definition, or a missing key of one: the designer finds its field."""
    checked = 0
    for where in _leaves(features_data):
        for value in (3, None, {}, "x y +"):
            data = copy.deepcopy(features_data)
            *parents, last = where
            target: Any = data
            for part in parents:
                target = target[part]
            target[last] = value
            for problem in validate(data, known_channels=CHANNELS, known_templates={"welcome"}):
                parts = _parts(problem.path)
                assert parts and (_holds(data, parts) or _holds(data, parts[:-1])), (where, problem)
                checked += 1
    assert checked > 500

"""Expressions and templates: values, strict undefined, the sandbox and its limits."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from journeys.expressions import (
    ExpressionError,
    build_context,
    compile_expression,
    compile_template,
    referenced_names,
)
from journeys.model import Event, Profile

NOW = datetime(2024, 1, 31, 12, 0, tzinfo=UTC)
ENTRY = Event(
    event_id="e1",
    name="cart.updated",
    profile_id="p1",
    timestamp=NOW - timedelta(hours=1),
    properties={"total": 120, "items": [{"sku": "a", "price": 20}], "deliver_at": "2024-02-02"},
)
PROFILE = Profile(profile_id="p1", email="ada@example.com", attributes={"plan": "pro", "age": 36})
CTX = build_context(
    profile=PROFILE,
    event=ENTRY,
    events={"cart.updated": ENTRY},
    journey={"id": "abandoned-cart", "version": 3, "name": "Abandoned cart"},
    vars={"score": 7},
    now=NOW,
)


def evaluate(src: str, ctx: dict[str, Any] | None = None) -> Any:
    return compile_expression(src).evaluate(CTX if ctx is None else ctx)


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        ("event.properties.total > 100", True),
        ("event.properties.total > 100 and profile.attributes.plan == 'pro'", True),
        ("profile.email", "ada@example.com"),
        ("profile.phone is none", True),
        ("profile.profile_id", "p1"),
        ("event.name ~ '/' ~ event.event_id", "cart.updated/e1"),
        ("event.properties['items'][0].sku", "a"),
        ("event.properties['items'] | map(attribute='price') | sum", 20),
        ("events['cart.updated'].properties.total", 120),
        ("events['order.completed'] is defined", False),
        ("'cart.updated' in events", True),
        ("journey.id ~ ':' ~ journey.version", "abandoned-cart:3"),
        ("vars.score * 2", 14),
        ("now > event.timestamp", True),
        ("now - event.timestamp", timedelta(hours=1)),
        ("now + duration('P1M')", datetime(2024, 2, 29, 12, 0, tzinfo=UTC)),
        ("now + days(1) + hours(2) + minutes(3)", NOW + timedelta(days=1, minutes=123)),
        ("parse_datetime('2024-02-01T00:00:00Z') > now", True),
        ("parse_datetime(event.properties.deliver_at)", datetime(2024, 2, 2, tzinfo=UTC)),
        ("range(3) | map('string') | list", ["0", "1", "2"]),
        ("range(3) | select('odd')", [1]),
        ("[1, 2, 3] | length", 3),
        ("{'a': 1}", {"a": 1}),
        ("2 ** 10", 1024),
        ("10 ** 10 ** 10", 10**100),  # Jinja's ** is left-associative
        ("'%05.1f' % 3.14159", "003.1"),
        ("'{}-{}'.format('a', 1)", "a-1"),
        ("'ab' * 3", "ababab"),
        ("event.properties.total | string | length", 3),
    ],
)
def test_values(src: str, expected: Any) -> None:
    assert evaluate(src) == expected


@pytest.mark.parametrize(
    ("src", "message"),
    [
        ("nope > 1", "'nope' is undefined"),
        ("profile.attributes.missing == 1", "has no attribute 'missing'"),
        ("profile.attributes.missing", "has no attribute 'missing'"),
        ("[profile.attributes.missing]", "has no attribute 'missing'"),
        ("event.properties.total + 'x'", "unsupported operand"),
        ("1 / 0", "division by zero"),
        ("parse_datetime('tomorrow')", "Invalid isoformat"),
        ("duration('1 day')", "not an ISO 8601 duration"),
        ("event.__class__", "not allowed"),
        ("''.__class__.__mro__", "not allowed"),
        ("event.properties.update({'a': 1})", "not allowed"),
        ("event.properties['items'].append(1)", "not allowed"),
        ("lipsum(3)", "'lipsum' is undefined"),
    ],
)
def test_runtime_errors(src: str, message: str) -> None:
    expression = compile_expression(src)
    with pytest.raises(ExpressionError, match=message):
        expression.evaluate(CTX)


@pytest.mark.parametrize(
    ("src", "message"),
    [
        ("", "syntax error"),
        ("1 +", "syntax error"),
        ("a b", "unexpected 'b' after the expression"),
        ("{{ 1 }}", "syntax error"),
        ("[1] | random", "No filter named 'random'"),
        ("_wl_budget", "reserved"),
        ("x" * 10_001, "expression too large"),
    ],
)
def test_compile_errors(src: str, message: str) -> None:
    with pytest.raises(ExpressionError, match=message):
        compile_expression(src)


def test_compilation_is_cached() -> None:
    assert compile_expression("1 + 1") is compile_expression("1 + 1")
    assert compile_template("{{ 1 }}") is compile_template("{{ 1 }}")


BOMBS = [
    '"a" * 10**9',
    "[1] * 10**8",
    "[[1] * 100000] * 100000",
    "10 ** (10 ** 10)",
    "10 ** 10 ** 10 ** 10 ** 10",
    '"{:>999999999}".format(1)',
    '"{0:{1}}".format(1, 999999999)',
    '"%999999999d" % 1',
    '"%*d" % (999999999, 1)',
    '"%.999999999f" | format(1.0)',
    '"a" | center(10**9)',
    '"a".ljust(10**9)',
    '"a".zfill(10**9)',
    '"\t".expandtabs(10**9)',
    '("a" * 100000) | replace("a", "bb")',
    '("a" * 100000).replace("a", "bb")',
    '"x" | indent(10**9)',
    '"x y" | wordwrap(1, wrapstring="-" * 100000)',
    '(range(100000) | list) | join("x" * 10000)',
    '"x".join(["y"] * 100000)',
    "[1] | batch(10**9, 0) | list",
    "[1] | slice(10**8) | list",
    "([[1] * 1000] * 1000) | sum(start=[])",
    "(range(100000) | list) + (range(100000) | list)",
    '("a" * 100000) ~ ("b" * 100000)',
]


@pytest.mark.parametrize("src", BOMBS)
def test_expression_bombs_fail_fast(src: str) -> None:
    started = time.perf_counter()
    with pytest.raises(ExpressionError, match=r"too large|not allowed|limit"):
        compile_expression(src).evaluate(CTX)
    assert time.perf_counter() - started < 1.0


TEMPLATE_BOMBS = [
    "{% set ns = namespace(s='ab') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}"
    "{% endfor %}",
    "{% set ns = namespace(s='ab') %}{% for i in range(64) %}{% set ns.s = ns.s + ns.s %}"
    "{% endfor %}",
    "{% set ns = namespace(l=[1]) %}{% for i in range(64) %}{% set ns.l = [ns.l, ns.l] %}"
    "{% endfor %}",
    "{% set ns = namespace(n=3) %}{% for i in range(64) %}{% set ns.n = ns.n * ns.n %}{% endfor %}",
    "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
    "{% for i in range(100000) %}{% for j in range(100000) %}xxxxxxxxxx{% endfor %}{% endfor %}",
    "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(64) }}",
    "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}",
    "{% set x %}{% for i in range(100000) %}{{ 'y' * 100000 }}{% endfor %}{% endset %}",
    "{% for i in range(100000) %}{{ 'y' * 100000 }}{% endfor %}",
    "{% with l = [[1] * 100000] * 100 %}{{ l }}{% endwith %}",
    "{% set _wl_budget = 1 %}",
]


@pytest.mark.parametrize("src", TEMPLATE_BOMBS)
def test_template_bombs_fail_fast(src: str) -> None:
    started = time.perf_counter()
    with pytest.raises(ExpressionError, match=r"too large|too much|too deeply|limit|reserved"):
        compile_template(src).render(CTX)
    assert time.perf_counter() - started < 1.0


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        ("Hi {{ profile.email }}", "Hi ada@example.com"),
        ("{% for item in event.properties['items'] %}{{ item.sku }};{% endfor %}", "a;"),
        ("{{ '%.2f' | format(event.properties.total) }}", "120.00"),
        ("{{ (now + duration('P1D')).date() }}", "2024-02-01"),
        (
            "{% set n = namespace(t=0) %}{% for i in range(4) %}{% set n.t = n.t + i %}"
            "{% endfor %}{{ n.t }}",
            "6",
        ),
        ("{% macro hi(x) %}<{{ x }}>{% endmacro %}{{ hi('a') ~ hi('b') }}", "<a><b>"),
        ("{{ ('x' * 1000) | length }}-{{ range(1000) | list | length }}", "1000-1000"),
    ],
)
def test_templates(src: str, expected: str) -> None:
    assert compile_template(src).render(CTX) == expected


def test_template_autoescape() -> None:
    ctx = {**CTX, "vars": {"name": "<b>Ada</b>"}}
    assert compile_template("<p>{{ vars.name }}</p>", autoescape=True).render(ctx) == (
        "<p>&lt;b&gt;Ada&lt;/b&gt;</p>"
    )
    assert compile_template("<p>{{ vars.name }}</p>").render(ctx) == "<p><b>Ada</b></p>"


@pytest.mark.parametrize(
    ("src", "message"),
    [
        ("{{ profile.attributes.missing }}", "has no attribute 'missing'"),
        ("{% for x in nope %}{% endfor %}", "'nope' is undefined"),
        ("{{ 1 }", "syntax error"),
        ("{% include 'other' %}", "unknown fragment 'other'"),
        ("{{ ''.__class__ }}", "not allowed"),
    ],
)
def test_template_errors(src: str, message: str) -> None:
    with pytest.raises(ExpressionError, match=message):
        compile_template(src).render(CTX)


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        ("event.properties.total > 0", {"event"}),
        ("profile.attributes.plan == 'pro' and now > event.timestamp", {"profile", "now", "event"}),
        ("duration('P1D') + days(1) > hours(1)", set()),
        ("received.name", {"received"}),
    ],
)
def test_referenced_names(src: str, expected: set[str]) -> None:
    assert referenced_names(src) == expected


def test_referenced_names_of_a_broken_expression() -> None:
    with pytest.raises(ExpressionError):
        referenced_names("1 +")


def test_build_context_shape() -> None:
    assert CTX["profile"] == {
        "profile_id": "p1",
        "email": "ada@example.com",
        "phone": None,
        "timezone": None,
        "attributes": {"plan": "pro", "age": 36},
        "audiences": [],
        "locale": None,
    }
    assert CTX["event"]["name"] == "cart.updated"
    assert CTX["event"]["timestamp"].tzinfo is not None
    assert set(CTX) == {"profile", "event", "events", "journey", "vars", "now"}


def test_naive_now_is_taken_as_utc() -> None:
    ctx = build_context(
        profile=PROFILE, event=ENTRY, events={}, journey={}, vars={}, now=datetime(2024, 1, 1)
    )
    assert ctx["now"] == datetime(2024, 1, 1, tzinfo=UTC)

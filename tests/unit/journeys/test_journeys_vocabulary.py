"""The names completion offers are the sandbox's own: what it lists compiles, and back."""

from __future__ import annotations

from journeys.expressions import CONTEXT_NAMES, compile_expression, sandbox_names
from journeys.vocabulary import Name, Root, one_line, vocabulary


def test_roots_are_the_context_names_and_received() -> None:
    roots = {root.name: root for root in vocabulary().roots}
    assert set(roots) == CONTEXT_NAMES | {"received"}
    assert roots["event"] == Root(
        name="event",
        doc="The event that entered the profile.",
        fields=("event_id", "name", "profile_id", "timestamp", "properties"),
    )
    assert roots["profile"].fields == (
        "profile_id", "email", "phone", "timezone", "attributes", "audiences", "locale"
    )  # fmt: skip
    assert roots["vars"].fields == ()


def test_helpers_and_filters_pinned() -> None:
    names = vocabulary()
    helpers = {h.name: h for h in names.helpers}
    assert helpers["days"] == Name(
        name="days",
        doc="`now + days(2)`: shorter to write than `duration('P2D')`, and takes numbers.",
        signature="days(n)",
    )
    assert helpers["decide"].signature == "decide(placement, index=0)"
    filters = {f.name: f for f in names.filters}
    assert filters["upper"] == Name(
        name="upper", doc="Convert a value to uppercase.", signature="upper()"
    )
    assert (
        filters["truncate"].signature
        == "truncate(length=255, killwords=False, end='...', leeway=None)"
    )
    assert "random" not in filters  # the sandbox drops it: no randomness in a workflow
    assert {"defined", "none"} <= {t.name for t in names.tests}
    assert "==" not in {t.name for t in names.tests}


def test_every_listed_name_is_the_sandboxes() -> None:
    """Nothing internal leaks, nothing the sandbox has is missing, every entry has a doc."""
    helpers, filters, _ = sandbox_names()
    names = vocabulary()
    assert {h.name for h in names.helpers} == {n for n in helpers if not n.startswith("_wl")}
    assert {f.name for f in names.filters} == set(filters)
    assert all(n.doc for n in (*names.helpers, *names.filters, *names.tests))
    for source in ("now + days(2)", "duration('P1D')", "'a' | upper", "vars is defined"):
        compile_expression(source)  # names as listed compile


def test_one_line() -> None:
    assert one_line("Sort using :func:`sorted`.\n\n    More.") == "Sort using `sorted`."
    assert one_line("Replace ``&``.  Then more.") == "Replace `&`."
    assert one_line(None) == ""

"""Fragment resolution, inlining and cycle detection, without any server."""

from __future__ import annotations

import pytest

from content.fragments import Fragment, find_cycle, reachable_sources, sources_for, uses
from journeys.expressions import ExpressionError, compile_template, included_fragments

FRAGMENTS = {
    "header": Fragment("Hello {{ profile.name }}!", {"fr": "Bonjour {{ profile.name }} !"}),
    "footer": Fragment('{% include "legal" %} -- Wayline'),
    "legal": Fragment("(c) 2026", {"fr-CA": "(c) 2026 Québec"}),
    "card": Fragment("<b>{{ product }}</b>"),
}


def render(src: str, locale: str | None = None, html: bool = False, **ctx: object) -> str:
    fragments = sources_for([src], FRAGMENTS, locale)
    return compile_template(src, html, fragments).render(ctx)


def test_include_inlines_the_fragment_with_the_template_names() -> None:
    src = '{% include "header" %} {{ 1 + 1 }} {% include "footer" %}'
    assert render(src, profile={"name": "Ada"}) == "Hello Ada! 2 (c) 2026 -- Wayline"


def test_fragments_follow_the_locale_fallback_chain() -> None:
    src = '{% include "header" %} {% include "footer" %}'
    assert (
        render(src, "fr-CA", profile={"name": "Ada"}) == "Bonjour Ada ! (c) 2026 Québec -- Wayline"
    )
    assert render(src, "fr-FR", profile={"name": "Ada"}) == "Bonjour Ada ! (c) 2026 -- Wayline"
    assert render(src, "de", profile={"name": "Ada"}) == "Hello Ada! (c) 2026 -- Wayline"


def test_only_the_fragments_reached_are_handed_over() -> None:
    assert sources_for(['{% include "footer" %}'], FRAGMENTS, None) == (
        ("footer", '{% include "legal" %} -- Wayline'),
        ("legal", "(c) 2026"),
    )
    assert sources_for(["no includes", None], FRAGMENTS, None) == ()


def test_an_html_include_is_autoescaped_like_its_template() -> None:
    got = render('<p>{% include "card" %}</p>', html=True, product="<script>")
    assert got == "<p><b>&lt;script&gt;</b></p>"


def test_an_unknown_fragment_fails_naming_it() -> None:
    with pytest.raises(ExpressionError, match="unknown fragment 'nope'"):
        render('{% include "nope" %}')
    assert render('a{% include "nope" ignore missing %}b') == "ab"


def test_a_dynamic_include_is_refused() -> None:
    with pytest.raises(ExpressionError, match="literal string"):
        included_fragments("{% include name %}")


def test_strict_undefined_holds_inside_a_fragment() -> None:
    with pytest.raises(ExpressionError, match="product"):
        render('{% include "card" %}')


def test_the_sandbox_guards_a_fragment_too() -> None:
    hostile = {"bomb": Fragment("{{ 'a' * 10**9 }}")}
    src = '{% include "bomb" %}'
    with pytest.raises(ExpressionError, match="too large"):
        compile_template(src, False, sources_for([src], hostile, None)).render({})


def test_a_cycle_found_while_inlining_is_named_with_its_path() -> None:
    loop = (("a", '{% include "b" %}'), ("b", '{% include "a" %}'))
    with pytest.raises(ExpressionError, match="include cycle: template -> a -> b -> a"):
        compile_template('{% include "a" %}', False, loop)
    with pytest.raises(ExpressionError, match="include cycle: a -> b -> a"):
        compile_template('{% include "b" %}', False, loop, "a")


def test_uses_lists_direct_includes_only() -> None:
    assert uses(['{% include "footer" %}{% include "card" %}', None]) == {"footer", "card"}


def test_find_cycle_reports_the_path_back_to_the_start() -> None:
    edges = {"a": ["b"], "b": ["c", "d"], "c": [], "d": ["a"]}
    assert find_cycle("a", edges) == ["a", "b", "d", "a"]
    assert find_cycle("a", {"a": ["a"]}) == ["a", "a"]
    assert find_cycle("a", {"a": ["b"], "b": ["c"], "c": ["b"]}) is None
    assert find_cycle("x", {}) is None


def test_reachable_sources_are_every_variant_of_every_fragment_reached() -> None:
    roots = ['{% include "footer" %}{% include "header" %}{% include "nope" %}', None]
    assert reachable_sources(roots, FRAGMENTS) == [
        roots[0],
        "Hello {{ profile.name }}!",
        "Bonjour {{ profile.name }} !",
        '{% include "legal" %} -- Wayline',
        "(c) 2026",
        "(c) 2026 Québec",
    ]

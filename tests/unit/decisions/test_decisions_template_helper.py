"""`decide('placement')` in templates: reads what a decide node kept in vars."""

from __future__ import annotations

from typing import Any

from journeys.expressions import compile_template

HERO = {"placement": "hero", "content_type": "html", "content": "<b>Spring</b>"}
SIDE = {"placement": "side", "content_type": "text", "content": "<10% off>"}


def proposition(*offers: dict[str, Any]) -> dict[str, Any]:
    return {"proposition_id": "prop_1", "offers": list(offers), "fallback": False}


def render(source: str, variables: dict[str, Any], html: bool = False) -> str:
    return compile_template(source, html).render({"vars": variables})


def test_content_per_placement_and_index() -> None:
    variables = {"pick": proposition(HERO, SIDE, {**SIDE, "content": "second"})}
    source = "{{ decide('side') }}|{{ decide('side', 1) }}|{{ decide('none') }}"
    assert render(source, variables) == "<10% off>|second|"


def test_html_fragment_is_kept_and_text_escaped_in_html_templates() -> None:
    variables = {"pick": proposition(HERO, SIDE)}
    assert render("{{ decide('hero') }} {{ decide('side') }}", variables, html=True) == (
        "<b>Spring</b> &lt;10% off&gt;"
    )


def test_later_decision_wins_and_other_vars_are_ignored() -> None:
    variables = {
        "lookup": {"offers": [HERO]},  # a fetch result, not a proposition
        "first": proposition(SIDE),
        "again": proposition({**SIDE, "content": "newer"}),
    }
    assert render("{{ decide('side') }}|{{ decide('hero') }}", variables) == "newer|"
    assert render("{% if decide('hero') %}x{% else %}none{% endif %}", {}) == "none"

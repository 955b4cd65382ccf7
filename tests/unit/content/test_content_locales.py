"""Locale fallback: `fr-CA -> fr -> default`."""

from __future__ import annotations

import pytest

from content.locales import choose, fallback_chain, valid_tag
from journeys.expressions import build_context, compile_template
from journeys.records import Event, Profile


@pytest.mark.parametrize(
    ("locale", "chain"),
    [
        ("fr-CA", ["fr-CA", "fr"]),
        ("zh-Hant-TW", ["zh-Hant-TW", "zh-Hant", "zh"]),
        ("en", ["en"]),
        (None, []),
        ("", []),
        ("not a tag", []),
        ("default", []),
    ],
)
def test_fallback_chain(locale: str | None, chain: list[str]) -> None:
    assert fallback_chain(locale) == chain


@pytest.mark.parametrize(
    ("variants", "locale", "chosen"),
    [
        (["fr", "fr-CA", "de"], "fr-CA", "fr-CA"),
        (["fr", "de"], "fr-CA", "fr"),
        (["de"], "fr-CA", None),
        (["fr-ca"], "FR-CA", "fr-ca"),
        (["fr"], None, None),
        ([], "fr", None),
    ],
)
def test_choose(variants: list[str], locale: str | None, chosen: str | None) -> None:
    assert choose(variants, locale) == chosen


def test_valid_tag_and_profile_locale() -> None:
    assert valid_tag("pt-BR") and not valid_tag("p") and not valid_tag("fr_CA")
    assert Profile(profile_id="p", attributes={"locale": "fr-CA"}).locale == "fr-CA"
    assert Profile(profile_id="p", attributes={"locale": 3}).locale is None
    assert Profile(profile_id="p").locale is None


def test_templates_read_profile_locale() -> None:
    profile = Profile(profile_id="p", attributes={"locale": "fr-CA"})
    event = Event(event_id="e", name="go", profile_id="p", timestamp="2026-01-01T00:00:00Z")
    ctx = build_context(
        profile=profile, event=event, events={}, journey={}, vars={}, now=event.timestamp
    )
    assert compile_template("{{ profile.locale }}").render(ctx) == "fr-CA"
    assert "locale" not in Profile(profile_id="p").model_dump(), "not stored apart"

"""Locale fallback: `fr-CA -> fr -> default`."""

from __future__ import annotations

import pytest

from content.locales import choose, fallback_chain, profile_locale, valid_tag


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
    assert profile_locale({"locale": "fr-CA"}) == "fr-CA"
    assert profile_locale({"locale": 3}) is None and profile_locale({}) is None

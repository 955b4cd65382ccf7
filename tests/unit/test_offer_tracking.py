"""Decided offers in tracked email (issue 16.5): which offers a rendered message shows, and
how its pixel and links name them in their signed tokens."""

from __future__ import annotations

import re
from typing import Any

from activities.channels.tracking import add_tracking
from core.signing import Tracked, read_token, read_tracking_token, sign_token, tracking_token
from journeys.decided import ShownOffer, shown_offers

SECRET = "s3cret"
HERO = '<a href="https://shop.example/spring?a=1&amp;b=2">Spring sale</a>'


def decided(*offers: dict[str, Any]) -> dict[str, Any]:
    return {"hero": {"proposition_id": "prop_1", "offers": list(offers)}, "n": 3}


def test_an_offer_is_shown_when_its_content_is_in_the_html() -> None:
    variables = decided(
        {"offer_id": "spring", "content": HERO, "content_type": "html"},
        {"offer_id": "unused", "content": "<b>not rendered</b>"},
        {"offer_id": "plain", "content": "Tom & Jerry"},
    )
    html = f"<p>{HERO}</p><p>Tom &amp; Jerry</p>"
    assert shown_offers(html, variables) == [
        ShownOffer("prop_1", "spring", frozenset({"https://shop.example/spring?a=1&b=2"})),
        ShownOffer("prop_1", "plain", frozenset()),
    ]


def test_an_image_url_offer_is_its_own_link_and_junk_is_ignored() -> None:
    image = "https://cdn.example/spring.png"
    variables = {
        "a": decided({"offer_id": "img", "content": image})["hero"],
        "b": {"proposition_id": 7, "offers": [{"offer_id": "x", "content": "x"}]},
        "c": {"proposition_id": "prop_2", "offers": ["junk", {"offer_id": 1, "content": "y"}]},
    }
    assert shown_offers(f'<img src="{image}"> x y', variables) == [
        ShownOffer("prop_1", "img", frozenset({image}))
    ]


def test_a_token_without_offers_is_the_one_sent_before_offers_were_tracked() -> None:
    # emails already in inboxes carry this four-field token: it must still read
    old = "WyJtLTEiLCJwLTEiLCJqIixudWxsXQ.Fll_EH1rcyMZ5KQpElOb6EbMrch6dtHS1ogL4jA4ESQ"
    assert tracking_token(SECRET, Tracked("m-1", "p-1", "j")) == old
    assert read_tracking_token(SECRET, old) == Tracked("m-1", "p-1", "j", None, ())


def test_a_token_names_its_offers() -> None:
    tracked = Tracked("m-1", "p-1", "j", "https://shop.example/a", (("prop_1", "spring"),))
    token = tracking_token(SECRET, tracked)
    assert read_token(SECRET, "track", token) == [
        "m-1",
        "p-1",
        "j",
        "https://shop.example/a",
        [["prop_1", "spring"]],
    ]
    assert read_tracking_token(SECRET, token) == tracked
    bad = sign_token(SECRET, "track", ["m-1", "p-1", "j", None, [["prop_1", 2]]])
    assert read_tracking_token(SECRET, bad) is None


def tokens(html: str, path: str) -> list[Tracked | None]:
    found = re.findall(rf"/v1/t/{path}\?token=([\w.-]+)", html)
    return [read_tracking_token(SECRET, t) for t in found]


def test_the_pixel_names_every_shown_offer_and_a_link_only_its_own() -> None:
    shown = [
        ShownOffer("prop_1", "spring", frozenset({"https://shop.example/spring?a=1&b=2"})),
        ShownOffer("prop_1", "plain", frozenset()),
    ]
    html = f'<p>{HERO}</p><a href="https://shop.example/cart">Cart</a></body>'
    out = add_tracking(
        html,
        secret=SECRET,
        base_url="https://w.example",
        tracked=Tracked("m", "p", "j"),
        shown=shown,
    )
    [pixel] = tokens(out, "open")
    assert pixel is not None and pixel.offers == (("prop_1", "spring"), ("prop_1", "plain"))
    spring, cart = tokens(out, "click")
    assert spring is not None and spring.offers == (("prop_1", "spring"),)
    assert cart is not None and (cart.url, cart.offers) == ("https://shop.example/cart", ())

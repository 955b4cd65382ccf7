"""What an offer or a policy names must exist: each missing name is a problem with its path."""

from __future__ import annotations

from collections.abc import Container, Mapping

from decisions.model import OfferSpec, PlacementSpec, PolicySpec
from journeys.problems import Problem


def offer_problems(
    offer: OfferSpec, placements: Container[str], audiences: Container[str]
) -> list[Problem]:
    problems = [
        Problem(path=f"representations.{name}", message=f"no placement {name!r}")
        for name in offer.representations
        if name not in placements
    ]
    audience = offer.eligibility.audience if offer.eligibility else None
    if audience is not None and audience not in audiences:
        problems.append(Problem(path="eligibility.audience", message=f"no audience {audience!r}"))
    return problems


def content_problems(offer: OfferSpec, placements: Mapping[str, PlacementSpec]) -> list[Problem]:
    """A representation holds what its placement's content type says."""
    problems = []
    for name, representation in offer.representations.items():
        placement = placements.get(name)
        if placement is None:
            continue
        if message := _content_problem(placement.content_type, representation.content):
            problems.append(Problem(path=f"representations.{name}.content", message=message))
    return problems


def _content_problem(content_type: str, content: object) -> str | None:
    if content_type == "json":
        return None
    if not isinstance(content, str):
        return f"a {content_type} placement takes a string"
    if content_type == "image_url" and not content.startswith(("https://", "http://")):
        return "an image URL starts with https:// or http://"
    return None


def policy_problems(
    policy: PolicySpec, placements: Container[str], offers: Mapping[str, OfferSpec]
) -> list[Problem]:
    problems = [
        Problem(path=f"placements[{i}]", message=f"no placement {name!r}")
        for i, name in enumerate(policy.placements)
        if name not in placements
    ]
    problems += [
        Problem(path=f"candidates.offers[{i}]", message=f"no offer {name!r}")
        for i, name in enumerate(policy.candidates.offers)
        if name not in offers
    ]
    if policy.fallback is not None:
        problems += _fallback_problems(policy, offers.get(policy.fallback))
    return problems


def _fallback_problems(policy: PolicySpec, offer: OfferSpec | None) -> list[Problem]:
    if offer is None:
        return [Problem(path="fallback", message=f"no offer {policy.fallback!r}")]
    if not offer.fallback:
        return [Problem(path="fallback", message=f"offer {policy.fallback!r} is not a fallback")]
    missing = [p for p in policy.placements if p not in offer.representations]
    if missing:
        text = ", ".join(missing)
        return [Problem(path="fallback", message=f"the fallback has no representation for {text}")]
    return []

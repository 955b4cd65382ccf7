"""The decision catalog as users write it: placements, offers, decision policies.

Each model checks what it can see by itself (fields, dates, a formula that compiles); what
needs the rest of the catalog (a placement that exists) is `decisions/references.py`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from journeys.durations import parse_duration
from journeys.expressions import ExpressionError, compile_expression
from journeys.fields import PositiveDurationStr

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"
ContentType = Literal["text", "html", "json", "image_url"]
CapEvent = Literal["proposed", "displayed", "clicked"]
RankingMethod = Literal["priority", "formula", "auto"]
MAX_OFFERS_PER_PLACEMENT = 20


class Spec(BaseModel):
    """Unknown fields are errors, named one by one."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def _compiles(source: str | None) -> str | None:
    if source is not None:
        try:
            compile_expression(source)
        except ExpressionError as exc:
            raise ValueError(f"does not compile: {exc}") from exc
    return source


class PlacementSpec(Spec):
    name: str = Field(min_length=1, max_length=200, examples=["Email hero banner"])
    channel: str = Field(pattern=ID_PATTERN, description="email, sms, push, web, app...")
    content_type: ContentType = Field(description="What a representation holds")
    description: str | None = Field(None, max_length=2000)


class Eligibility(Spec):
    """Both, when both are given: a member of `audience` for whom `when` is true."""

    audience: str | None = Field(None, pattern=ID_PATTERN, description="An audience id")
    when: str | None = Field(
        None,
        max_length=10_000,
        description="Expression over `profile`, `event`, `context`, `now`",
        examples=["profile.attributes.plan == 'pro'"],
    )

    @field_validator("when")
    @classmethod
    def _when(cls, value: str | None) -> str | None:
        return _compiles(value)


class Cap(Spec):
    limit: int = Field(ge=1, le=1_000_000_000)
    period: PositiveDurationStr | None = Field(
        None,
        description="A fixed window (PT1H, P1D, P7D: no months or years); none = for ever",
    )

    @field_validator("period")
    @classmethod
    def _fixed(cls, value: str | None) -> str | None:
        if value is not None and not isinstance(parse_duration(value), timedelta):
            raise ValueError("a cap period is fixed: write days (P30D), not months or years")
        if value is not None and period_seconds(value) < 1:
            raise ValueError("a cap period lasts at least one second")
        return value

    @property
    def seconds(self) -> int | None:
        return None if self.period is None else period_seconds(self.period)


def period_seconds(period: str) -> int:
    value = parse_duration(period)
    assert isinstance(value, timedelta)
    return int(value.total_seconds())


class Caps(Spec):
    per_profile: Cap | None = Field(None, description="N per profile (per period)")
    total: Cap | None = Field(None, description="N over everyone (per period, e.g. P1D)")
    counted_on: CapEvent = Field(
        "proposed",
        description="proposed: counted when decided, race-free; displayed / clicked: counted "
        "from offer.displayed / offer.clicked events naming the proposition",
    )


class Representation(Spec):
    content: Any = Field(
        description="Text, an HTML fragment, a JSON value or an image URL, as the placement says"
    )


class OfferSpec(Spec):
    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(None, max_length=2000)
    tags: list[str] = Field(default_factory=list, max_length=50)
    start_at: AwareDatetime | None = None
    end_at: AwareDatetime | None = None
    priority: int = Field(0, ge=0, le=1_000_000, description="Higher ranks first")
    fallback: bool = Field(
        False, description="Shown when nothing is eligible; has no eligibility nor caps"
    )
    eligibility: Eligibility | None = None
    caps: Caps | None = None
    representations: dict[str, Representation] = Field(
        min_length=1, max_length=50, description="Content per placement id"
    )
    attributes: dict[str, Any] = Field(
        default_factory=dict, description="Free data a formula reads as `offer.attributes`"
    )

    @field_validator("tags")
    @classmethod
    def _tags(cls, tags: list[str]) -> list[str]:
        for tag in tags:
            if not 0 < len(tag) <= 100:
                raise ValueError("a tag has 1 to 100 characters")
        return tags

    @model_validator(mode="after")
    def _coherent(self) -> OfferSpec:
        if self.start_at and self.end_at and self.end_at <= self.start_at:
            raise ValueError("end_at must be after start_at")
        if self.fallback and (self.eligibility or self.caps):
            raise ValueError("a fallback offer has neither eligibility nor caps")
        return self


class Candidates(Spec):
    """Offers carrying any of `tags`, plus those named in `offers`."""

    tags: list[str] = Field(default_factory=list, max_length=50)
    offers: list[str] = Field(default_factory=list, max_length=1000)

    @model_validator(mode="after")
    def _some(self) -> Candidates:
        if not self.tags and not self.offers:
            raise ValueError("name candidate tags or offers")
        return self


class Ranking(Spec):
    method: RankingMethod = "priority"
    formula: str | None = Field(
        None,
        max_length=10_000,
        description="For `formula`: a number from `offer`, `profile`, `context`",
        examples=["offer.priority + (10 if 'vip' in profile.audiences else 0)"],
    )

    @field_validator("formula")
    @classmethod
    def _formula(cls, value: str | None) -> str | None:
        return _compiles(value)

    @model_validator(mode="after")
    def _formula_when_asked(self) -> Ranking:
        if (self.method == "formula") != (self.formula is not None):
            raise ValueError("a formula is given exactly when the method is `formula`")
        return self


class PolicySpec(Spec):
    name: str = Field(min_length=1, max_length=200)
    placements: list[str] = Field(min_length=1, max_length=10)
    candidates: Candidates
    count: int = Field(1, ge=1, le=MAX_OFFERS_PER_PLACEMENT, description="Offers per placement")
    ranking: Ranking = Field(default_factory=Ranking)
    exclusive_tags: list[str] = Field(
        default_factory=list,
        max_length=50,
        description="At most one proposed offer carries each of these tags",
    )
    fallback: str | None = Field(None, pattern=ID_PATTERN, description="A fallback offer id")
    goal_events: list[str] = Field(
        default_factory=lambda: ["offer.clicked"],
        min_length=1,
        max_length=10,
        description="Events (naming proposition_id and offer_id) the bandit learns from",
    )

    @field_validator("placements")
    @classmethod
    def _distinct(cls, placements: list[str]) -> list[str]:
        if len(set(placements)) != len(placements):
            raise ValueError("a placement is named twice")
        return placements

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field, ValidationError, field_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from api.schemas.common import Body
from contacts import addresses


class _ProfileFields(Body):
    """Contact fields pass the address rules (contacts/addresses.py) and are stored
    normalised: the email's domain in lower-case ASCII, the phone in E.164."""

    email: str | None = Field(None, max_length=320, examples=["ada@example.com"])
    phone: str | None = Field(None, max_length=40, examples=["+33612345678"])
    timezone: str | None = Field(None, max_length=64, examples=["Europe/Paris"])

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        return None if value is None else _address(addresses.email(value))

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        return None if value is None else _address(addresses.phone(value))

    @field_validator("attributes", check_fields=False)
    @classmethod
    def _push_tokens(cls, value: dict[str, Any]) -> dict[str, Any]:
        """`push_tokens`, the push channel's device list, holds device tokens only."""
        if value.get("push_tokens") is None:
            return value
        checked = addresses.push_tokens(value["push_tokens"])
        if isinstance(checked, addresses.Invalid):
            loc = ("push_tokens",) if checked.index is None else ("push_tokens", checked.index)
            error = PydanticCustomError("value_error", checked.reason)
            raise ValidationError.from_exception_data(  # named attributes.push_tokens[i]
                "attributes", [InitErrorDetails(type=error, loc=loc, input=value["push_tokens"])]
            )
        return value

    @field_validator("timezone")
    @classmethod
    def _iana(cls, value: str | None) -> str | None:
        if value is None:
            return value
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA time zone {value!r}") from None
        return value


def _address(checked: str | addresses.Invalid) -> str:
    if isinstance(checked, addresses.Invalid):
        raise ValueError(checked.reason)
    return checked


class ProfileUpdate(_ProfileFields):
    """PUT: the profile becomes exactly this."""

    attributes: dict[str, Any] = Field(default_factory=dict)


class ProfilePatch(_ProfileFields):
    """PATCH: given fields are set; attributes merge at the top level, null removes one."""

    attributes: dict[str, Any] = Field(default_factory=dict)


class ProfilePublic(BaseModel):
    profile_id: str
    email: str | None
    phone: str | None
    timezone: str | None
    attributes: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class ProfileJourneyPublic(BaseModel):
    run_id: str
    workflow_id: str
    journey_id: str
    key: str | None = Field(
        None, description="A keyed journey's instance key (`entry.key`); null: unkeyed"
    )
    version: int
    status: str
    reason: str | None
    entered_at: datetime
    ended_at: datetime | None
    current_node: str | None = Field(
        None, description="For active entries: the node the workflow is at (state query)"
    )
    state_error: str | None = Field(None, description="Why the state query failed, if it did")


class ProfileMatchPublic(ProfilePublic):
    matched_by: Literal["id", "alias", "email", "phone"] = Field(
        description="How the searched text named this profile"
    )


class MembershipPublic(BaseModel):
    audience_id: str
    name: str
    entered_at: datetime

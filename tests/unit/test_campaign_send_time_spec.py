"""A campaign's delivery.send_time: validated as a message node's, carried in seconds."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from api.schemas.campaigns import DeliverySpec
from core.campaign_contracts import CampaignSendTime
from services.campaign_client import send_time_of


def test_send_time_and_local_time_exclude_each_other() -> None:
    with pytest.raises(ValidationError, match="send_time and local_time cannot both be set"):
        DeliverySpec.model_validate({"local_time": "10:00", "send_time": {"optimize": "opened"}})


def test_the_window_is_at_most_a_week() -> None:
    with pytest.raises(ValidationError, match="must be at most P7D"):
        DeliverySpec.model_validate({"send_time": {"optimize": "opened", "within": "P8D"}})


def test_a_run_carries_the_window_in_seconds() -> None:
    stored = {"optimize": "clicked", "within": "PT6H", "holdout": 0.1}
    assert send_time_of(stored) == CampaignSendTime(
        optimize="clicked", within_seconds=21_600.0, holdout=0.1
    )
    assert send_time_of({"optimize": "opened"}) == CampaignSendTime(
        optimize="opened", within_seconds=86_400.0
    )
    assert send_time_of(None) is None

"""Which inbox a triggered request goes to: its run id's time window."""

from __future__ import annotations

from datetime import UTC, datetime

from services.campaign_client import TRIGGER_SHARDS, new_run_id, trigger_workflow_id


def test_run_ids_of_one_window_share_an_inbox() -> None:
    at = datetime(2026, 11, 23, 1, 14, 2, tzinfo=UTC)
    same = datetime(2026, 11, 23, 1, 14, 4, 999_000, tzinfo=UTC)
    later = datetime(2026, 11, 23, 1, 14, 5, tzinfo=UTC)
    first = trigger_workflow_id("otp", new_run_id(at))
    assert first == "campaign:otp:triggers:20261123T011400"
    assert trigger_workflow_id("otp", new_run_id(same)) == first
    assert trigger_workflow_id("otp", new_run_id(later)) == "campaign:otp:triggers:20261123T011405"


def test_other_run_ids_fall_back_to_a_stable_shard() -> None:
    inbox = trigger_workflow_id("otp", "my-own-run")
    assert inbox == trigger_workflow_id("otp", "my-own-run")
    shard = inbox.rsplit(":", 1)[1]
    assert shard.isdigit() and int(shard) < TRIGGER_SHARDS

"""Replays committed workflow histories: a change that breaks determinism fails CI.

The histories in tests/histories/ were recorded from real runs
(`WAYLINE_RECORD_HISTORIES=1 scripts/test.sh tests/integration/test_histories.py`).
A deliberate, incompatible change to the workflow must ship behind `workflow.patched`
(docs/safe-deploys.md has a worked example and when to record new histories).
`journey-*.json` were recorded before the step ledger and replay without its `record_steps`
local activity; `journey-ledger-*.json` were recorded with it (patch `step-ledger`): both
kinds must replay, since runs of both kinds may be in flight.
`journey-ledger-per-entity-message.json` is a message node with `per` (issue 17.4): its
records read by the `select_entity_records` local activity, then one send per record
(recorded by the `per-entity-message` scenario of test_histories.py, then renamed).
`journey-migration.json` is a run moved from version 1 to version 2 by a `migrate` signal
(patch `version-migration`; recorded by tests/integration/test_journey_migration.py).
`campaign-groups.json` is a campaign run from before the batch window (patch
`campaign-window`), when each group of `parallel` batches waited for its slowest;
`campaign-window.json` is one with it (tests/integration/test_campaign_runs.py records both
kinds of file under WAYLINE_RECORD_HISTORIES=1).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from core.converter import data_converter
from workflows.campaign import CampaignWorkflow
from workflows.campaign_trigger import CampaignTriggerWorkflow
from workflows.journey import JourneyWorkflow
from workflows.sandbox import workflow_runner

HISTORIES = sorted((Path(__file__).parent.parent / "histories").glob("*.json"))


def test_histories_are_committed() -> None:
    assert len(HISTORIES) >= 3, "record the reference histories (see module docstring)"


@pytest.mark.parametrize("path", HISTORIES, ids=lambda p: p.stem)
async def test_replay(path: Path) -> None:
    text = await asyncio.to_thread(path.read_text)
    history = WorkflowHistory.from_json(path.stem, text)
    replayer = Replayer(
        workflows=[JourneyWorkflow, CampaignWorkflow, CampaignTriggerWorkflow],
        data_converter=data_converter,
        workflow_runner=workflow_runner(),
    )
    result = await replayer.replay_workflow(history, raise_on_replay_failure=True)
    assert result.replay_failure is None

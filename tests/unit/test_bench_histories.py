"""The billable-action estimate of the throughput benchmark (bench/histories.py)."""

from __future__ import annotations

from temporalio.api.enums.v1 import EventType as E

from bench.histories import actions_of

# The history of a journey `condition -> message(log) -> end`, as the server wrote it.
JOURNEY = [
    E.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED,
    E.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED,
    E.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
    E.EVENT_TYPE_WORKFLOW_TASK_STARTED,
    E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
    E.EVENT_TYPE_MARKER_RECORDED,
    E.EVENT_TYPE_MARKER_RECORDED,
    E.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
    E.EVENT_TYPE_MARKER_RECORDED,
    E.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
]


def test_a_start_its_signal_three_local_activities_and_an_upsert_are_six_actions() -> None:
    assert actions_of(list(JOURNEY)) == 6


def test_workflow_tasks_and_completion_are_not_billed() -> None:
    assert actions_of([E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, E.EVENT_TYPE_TIMER_FIRED]) == 0
    assert actions_of([E.EVENT_TYPE_TIMER_STARTED, E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED]) == 2

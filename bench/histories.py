"""What a workflow costs Temporal, counted from the histories a benchmark produced.

History events per run bound how long a journey can go before continue-as-new and how much
the server writes; billable actions are what Temporal Cloud charges and rate-limits (a
namespace starts at 500 actions/s). The actions are estimated from the history the way
Temporal Cloud's own history view annotates them: a start, each signal, each activity or
local activity, each timer, each search-attribute upsert, each child or external call.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

BILLABLE = frozenset(
    {
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED,
        EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
        EventType.EVENT_TYPE_MARKER_RECORDED,  # a local activity
        EventType.EVENT_TYPE_TIMER_STARTED,
        EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
        EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED,
        EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
    }
)
SAMPLE = 20  # histories read per phase: every run of one phase has the same shape


@dataclass(frozen=True)
class Cost:
    events: float  # history events per run (median of the sample)
    actions: float  # estimated billable actions per run

    def __str__(self) -> str:
        return f"{self.events:.0f} history events, ~{self.actions:.0f} billable actions"


def actions_of(event_types: list[int]) -> int:
    return sum(1 for t in event_types if t in BILLABLE)


async def cost(client: Client, query: str, sample: int = SAMPLE) -> Cost:
    """Medians over the first `sample` closed runs that `query` (a visibility query) finds."""
    events, actions = [], []
    async for wf in client.list_workflows(query, limit=sample):
        history = await client.get_workflow_handle(wf.id, run_id=wf.run_id).fetch_history()
        types = [e.event_type for e in history.events]
        events.append(len(types))
        actions.append(actions_of(types))
    if not events:
        return Cost(0.0, 0.0)
    return Cost(statistics.median(events), statistics.median(actions))

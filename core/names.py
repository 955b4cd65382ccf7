"""Names shared by the API, the router and the workers: ids, queues, channels."""

from __future__ import annotations

import uuid

JOURNEY_WORKFLOW = "JourneyWorkflow"
EVENT_SIGNAL = "event"
STATE_QUERY = "state"
MIGRATE_SIGNAL = "migrate"

NOTIFY_EVENTS = "wayline_events"
NOTIFY_JOURNEYS = "wayline_journeys"

SEARCH_ATTRIBUTES = {
    "JourneyId": "Keyword",
    "JourneyVersion": "Int",
    "ProfileId": "Keyword",
    "CurrentNode": "Keyword",
    "CampaignId": "Keyword",
    "CampaignSent": "Int",
}

# Channels whose send is a cheap local write run as local activities; the others are
# real providers, each on its own task queue so its rate limit is Temporal's (decision 5).
# Each is a module of activities/channels/, registered there.
LOCAL_CHANNELS = frozenset({"log", "in_app"})
REMOTE_CHANNELS = frozenset({"webhook", "email", "sms", "push"})
KNOWN_CHANNELS = LOCAL_CHANNELS | REMOTE_CHANNELS


STEP_NAMESPACE = uuid.UUID("6f1c7f38-9a57-4c1e-9d3b-4f2b0a6f1e55")


def step_id(workflow_id: str, entry_run_id: str, node: str, visit: int) -> str:
    """Same inputs, same id: a retried or replayed step finds its ledger row (decision 3),
    and the report names the same message the workflow sent without importing a workflow."""
    return str(uuid.uuid5(STEP_NAMESPACE, f"{workflow_id}|{entry_run_id}|{node}|{visit}"))


def entity_message_id(
    workflow_id: str, entry_run_id: str, node: str, visit: int, entity_type: str, key: str
) -> str:
    """A per-entity journey message's id (issue 17.4): the step's, plus the record it is
    for, so each record of a visit has one id and a retry or a replay finds its row. The
    key comes last, so a `|` in it cannot make two records share an id."""
    name = f"{workflow_id}|{entry_run_id}|{node}|{visit}|entity|{entity_type}|{key}"
    return str(uuid.uuid5(STEP_NAMESPACE, name))


def journey_workflow_id(journey_id: str, profile_id: str, key: str | None = None) -> str:
    """Readable ids let operators find a profile's journey in the Temporal UI.

    A keyed journey's instance (decision 13) ends with its key, as `journeys.entry_key`
    encodes it: no `:` in it, so the key is what follows the last colon. Without a key the
    id is decision 1's, unchanged (running workflows and their histories keep theirs)."""
    if key is None:
        return f"journey:{journey_id}:{profile_id}"
    return f"journey:{journey_id}:{profile_id}:{key}"


def channel_task_queue(base: str, channel: str) -> str:
    """The task queue of a remote channel's sends: the workflows schedule on it and the
    worker polls it, both through this function alone (a second spelling would leave sends
    waiting on a queue nobody polls)."""
    return f"{base}.channel.{channel}"


AUDIENCE_REFRESH_WORKFLOW = "AudienceRefreshWorkflow"
NOTIFY_AUDIENCES = "wayline_audiences"


def audience_refresh_schedule_id(audience_id: str) -> str:
    """One Temporal Schedule per time-relative audience, found by its readable id."""
    return f"audience-refresh:{audience_id}"


AUDIENCE_FANOUT_WORKFLOW = "AudienceFanoutWorkflow"


def audience_journey_schedule_id(journey_id: str) -> str:
    """The Temporal Schedule that drives a read-audience journey's runs."""
    return f"audience-journey:{journey_id}"


def audience_fanout_workflow_id(journey_id: str) -> str:
    """Scheduled runs get `-<scheduled time>` appended by Temporal, so each run has its own."""
    return f"audience-fanout:{journey_id}"


def audience_once_workflow_id(journey_id: str, version: int) -> str:
    """The one run of a `schedule: once` version: publishing it again starts no other."""
    return f"audience-fanout:{journey_id}:v{version}-once"


CAMPAIGN_WORKFLOW = "CampaignWorkflow"
CAMPAIGN_PAUSE_SIGNAL = "pause"
CAMPAIGN_RESUME_SIGNAL = "resume"
CAMPAIGN_CANCEL_SIGNAL = "cancel"
CAMPAIGN_PROGRESS_QUERY = "progress"


def campaign_workflow_id(campaign_id: str, run_id: str) -> str:
    """`campaign:<campaign>:<run>`; a Schedule's runs are `campaign:<campaign>:scheduled-<time>`."""
    return f"campaign:{campaign_id}:{run_id}"


def campaign_run_from_workflow_id(campaign_id: str, workflow_id: str) -> str:
    return workflow_id.removeprefix(f"campaign:{campaign_id}:")


CAMPAIGN_TRIGGER_WORKFLOW = "CampaignTriggerWorkflow"
CAMPAIGN_TRIGGER_SIGNAL = "trigger"
CAMPAIGN_TRIGGER_BATCH_SIGNAL = "trigger_batch"


def campaign_trigger_workflow_id(campaign_id: str, shard: int | str) -> str:
    """One of the inboxes of a triggered campaign's requests."""
    return f"campaign:{campaign_id}:triggers:{shard}"


PREVIEW_WORKFLOW = "PreviewWorkflow"
"""Renders a template through the worker's channels for the preview API (services/previews.py)."""
PROOF_WORKFLOW = "ProofWorkflow"
"""Sends a template's proofs to test addresses (services/previews.py)."""


def proof_message_id(workflow_id: str, index: int) -> str:
    """The ledger id of the proof to the `index`-th test address: a retried activity finds it."""
    return f"{workflow_id}:{index}"


DESTINATION_STREAM_WORKFLOW = "DestinationStreamWorkflow"
DESTINATION_RUN_WORKFLOW = "DestinationRunWorkflow"
NOTIFY_DESTINATIONS = "wayline_destinations"


def destination_task_queue(base: str, destination: str) -> str:
    """A destination's own queue, so its rate limit is Temporal's across workers (decision
    5): its workflows schedule on it and its worker polls it, both through this function."""
    return f"{base}.destination.{destination}"


def destination_stream_workflow_id(destination: str) -> str:
    """The one stream of a `stream_http` destination, found by its readable id."""
    return f"destination:{destination}:stream"


def destination_run_workflow_id(destination: str, run: str) -> str:
    """One export run; a Schedule's runs get `-<scheduled time>` appended by Temporal."""
    return f"destination:{destination}:run:{run}"


def destination_schedule_id(destination: str) -> str:
    return f"destination:{destination}:every"

"""Names shared by the API, the router and the workers: ids, queues, channels."""

from __future__ import annotations

JOURNEY_WORKFLOW = "JourneyWorkflow"
EVENT_SIGNAL = "event"
STATE_QUERY = "state"

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
LOCAL_CHANNELS = frozenset({"log", "in_app"})
KNOWN_CHANNELS = frozenset({"log", "in_app", "webhook", "email", "sms", "push"})


def journey_workflow_id(journey_id: str, profile_id: str) -> str:
    """Readable ids let operators find a profile's journey in the Temporal UI."""
    return f"journey:{journey_id}:{profile_id}"


def channel_task_queue(base: str, channel: str) -> str:
    return f"{base}.channel.{channel}"


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


def campaign_trigger_workflow_id(campaign_id: str, shard: int) -> str:
    """One of the inboxes of a triggered campaign's requests."""
    return f"campaign:{campaign_id}:triggers:{shard}"

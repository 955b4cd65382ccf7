"""Erasure of a profile (right to be forgotten).

Removes the profile, every id merged into it (aliases), its events, inbox, audience
membership and history, consent rows and applied-update markers, the records of every
entity type with a relation to the profile (`entities.<type>` in the counts), and strips the message
ledger down to tombstones (ids, channel, template name, status, timestamps: reports and
idempotency keep working, no address or content remains). Action calls keep their record
without the rendered request, response or error.

Running journeys end first, found both in the entry ledger and through Temporal visibility
(`ProfileId`), so a journey the ledger missed is still found and nothing sends after the
data is gone. When Temporal cannot end them, nothing is erased and the caller is told to
retry.

Kept on purpose: the suppression list. It is keyed by address, not by profile, and is the
legal record that an address asked not to be contacted (or bounced); erasing it would let
a later import mail that person again. The erasure itself is recorded in
`profile_erasures` with a SHA-256 of the profile id, the API key that asked and the counts.

Left as they are: ids. Ledger rows keep their profile id, and message and workflow ids embed
it (`journey:{journey}:{profile}`), so profile ids should be pseudonymous, never an email.
An event that a dispatcher is routing at the very moment of the erasure can still start a
journey just after it; the profile then shows that journey, and a second DELETE ends it.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

import asyncpg
from temporalio.client import Client

from core.names import JOURNEY_WORKFLOW
from db.sql import q
from services.entities import erase_records
from services.journey_client import terminate_journeys

log = logging.getLogger("wayline.erasure")
ERASED_REASON = "profile erased"
_CONCURRENCY = 16

# Counted deletions and updates, in order; each query takes the list of ids. Memberships go
# before the profile row: the audience trigger on `profiles` deletes them too, uncounted.
_STEPS: tuple[tuple[str, str], ...] = (
    ("audience_memberships", "erase_audience_members"),
    ("audience_changes", "erase_audience_changes"),
    ("profile", "erase_profile_rows"),
    ("events", "erase_events"),
    ("aliases", "erase_aliases"),
    ("inbox", "erase_inbox"),
    ("subscriptions", "erase_subscriptions"),
    ("profile_updates", "erase_profile_updates"),
    ("engagement_hours", "erase_engagement"),
    ("messages_tombstoned", "tombstone_messages"),
    ("action_calls_scrubbed", "scrub_action_calls"),
)


class MergedElsewhere(Exception):
    """The id was merged into another profile: that profile is the one to erase."""

    def __init__(self, profile_id: str) -> None:
        super().__init__(profile_id)
        self.profile_id = profile_id


class JourneysStillRunning(Exception):
    """Temporal could not end every running journey; nothing was erased."""


@dataclass
class Erasure:
    erasure_id: int
    counts: dict[str, int]


def profile_hash(profile_id: str) -> str:
    return hashlib.sha256(profile_id.encode("utf-8")).hexdigest()


def visibility_literal(value: str) -> str:
    """A string literal for a Temporal visibility query (quotes and backslashes escaped)."""
    escaped = value.replace("\\", "\\\\").replace("'", "\\'")
    return f"'{escaped}'"


async def running_journeys(temporal: Client, profile_ids: list[str]) -> set[str]:
    """Workflow ids of running journeys whose `ProfileId` is one of these ids."""
    found: set[str] = set()
    for pid in profile_ids:
        query = (
            f"WorkflowType = '{JOURNEY_WORKFLOW}' AND ExecutionStatus = 'Running' "
            f"AND ProfileId = {visibility_literal(pid)}"
        )
        async for execution in temporal.list_workflows(query):
            found.add(execution.id)
    return found


async def erase(
    pool: asyncpg.Pool,
    temporal: Client,
    profile_id: str,
    *,
    key_id: object | None = None,
    key_name: str | None = None,
) -> Erasure | None:
    """Erase the profile and everything merged into it; None when nothing was there.

    An id that is an alias is refused (MergedElsewhere) rather than resolved: erasing the
    profile it was merged into is the caller's explicit decision.
    """
    merged_into = await pool.fetchval(q("resolve_alias"), profile_id)
    if merged_into is not None:
        raise MergedElsewhere(str(merged_into))
    ids = [r["profile_id"] for r in await pool.fetch(q("profile_identities"), profile_id)]
    entries = await pool.fetch(q("active_entries_of"), ids)
    try:
        workflows = await running_journeys(temporal, ids)
        workflows |= {r["workflow_id"] for r in entries}
        await terminate_journeys(temporal, sorted(workflows), ERASED_REASON, _CONCURRENCY)
    except Exception as exc:
        raise JourneysStillRunning(f"{type(exc).__name__}: {exc}") from exc
    counts: dict[str, int] = {"journeys_ended": len(workflows)}
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(q("lock_identity"), profile_id)
        await conn.execute(q("end_entries_with_reason"), [r["run_id"] for r in entries], "erased")
        await conn.execute(q("erase_dispatch_rows"), ids)
        for label, name in _STEPS:
            status = await conn.execute(q(name), ids)
            counts[label] = int(status.rsplit(" ", 1)[-1])
        counts.update(await erase_records(conn, ids))
        if not any(counts.values()):
            return None
        row = await conn.fetchrow(
            q("record_erasure"), profile_hash(profile_id), key_id, key_name, counts
        )
        assert row is not None
    log.info("erased profile %s (erasure %s)", profile_hash(profile_id)[:12], row["id"])
    return Erasure(erasure_id=int(row["id"]), counts=counts)

"""On-demand audiences: a campaign created with the audience it sends to, made at the same
time from a definition (estimated first with `POST /v1/audiences/estimate`) and saved for
reuse like any other.

The audience is saved and evaluated first, then the campaign naming it; if the campaign is
refused, the audience goes again, so a refused request leaves nothing half-made behind.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
from temporalio.client import Client

from audiences.rules import Rule
from services import audiences, campaigns
from services.audiences import RefreshPlan
from services.errors import DomainError, FieldProblem, Invalid


@dataclass(frozen=True)
class NewAudience:
    """The audience a campaign brings: its id, name and description, and its rule."""

    audience_id: str
    about: tuple[str, str | None]
    rule: Rule


async def create_with_audience(
    pool: asyncpg.Pool,
    temporal: Client,
    plans: tuple[RefreshPlan, str],
    campaign_id: str,
    draft: campaigns.Draft,
    columns: Sequence[Any],
    audience: NewAudience,
) -> asyncpg.Record:
    """Save and evaluate `audience`, then create the campaign sending to it (`plans`: the
    audience's refresh plan and the campaigns' task queue)."""
    refresh, task_queue = plans
    try:
        await audiences.save(
            pool, temporal, refresh, audience.audience_id, audience.about, audience.rule, new=True
        )
    except Invalid as exc:
        raise Invalid(_under("audience", exc.problems), exc.message) from None
    try:
        return await campaigns.save(
            pool, temporal, task_queue, campaign_id, draft, columns, new=True
        )
    except DomainError:
        await audiences.delete(pool, temporal, audience.audience_id)
        raise


def _under(prefix: str, problems: Sequence[FieldProblem]) -> list[FieldProblem]:
    """Problems of the audience named where the campaign's request holds it."""
    return [FieldProblem(f"{prefix}.{p.field}", p.message) for p in problems]

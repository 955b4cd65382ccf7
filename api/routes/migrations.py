"""Moving running profiles between versions of a journey: dry run, execution, audit."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import JourneysWriter, PoolDep, Reader, TemporalDep
from api.schemas.common import ERRORS, JourneyIdPath, Page
from api.schemas.migrations import MigrationCreate, MigrationPublic, MigrationResult
from journeys.migration import MigrationPlan
from services.migrations import Caller, list_migrations, run_migration

router = APIRouter(prefix="/journeys", tags=["journeys"], responses=ERRORS)


@router.post("/{journey_id}/migrations")
async def create_migration(
    journey_id: JourneyIdPath,
    body: MigrationCreate,
    pool: PoolDep,
    temporal: TemporalDep,
    key: JourneysWriter,
) -> MigrationResult:
    """Count (dry_run, the default) or move the running profiles of one version to another;
    an unsafe mapping is a 422 naming `mapping.<node>`."""
    plan = MigrationPlan.model_validate(body.model_dump(exclude={"dry_run"}))
    counts = await run_migration(
        pool, temporal, journey_id, plan, dry_run=body.dry_run, caller=Caller(key.key_id, key.name)
    )
    return MigrationResult(
        migration_id=counts.migration_id,
        dry_run=body.dry_run,
        from_version=plan.from_version,
        to_version=plan.to_version,
        candidates=counts.candidates,
        moves=dict(counts.moves),
        exits=counts.exits,
        moved=counts.moved,
        skipped=dict(counts.skipped),
        failed=counts.failed,
    )


@router.get("/{journey_id}/migrations")
async def get_migrations(
    journey_id: JourneyIdPath, pool: PoolDep, _: Reader
) -> Page[MigrationPublic]:
    """The journey's executed migrations, newest first: who, when, the mapping, the counts."""
    rows = await list_migrations(pool, journey_id)
    return Page(items=[MigrationPublic(**r) for r in rows], count=len(rows))

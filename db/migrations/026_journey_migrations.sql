-- Moving running profiles between versions of a journey (POST /v1/journeys/{id}/migrations):
-- one audit row per executed migration, and one row per run that applied it (written by
-- the run itself at its rest point, so a retried write counts once).
CREATE TABLE journey_migrations (
    migration_id uuid PRIMARY KEY,
    journey_id text NOT NULL,
    from_version integer NOT NULL,
    to_version integer NOT NULL,
    key_id uuid NOT NULL,
    key_name text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    mapping jsonb NOT NULL,
    request jsonb NOT NULL,
    moved integer NOT NULL,
    skipped integer NOT NULL,
    failed integer NOT NULL
);
CREATE INDEX journey_migrations_journey ON journey_migrations (journey_id, created_at DESC);

CREATE TABLE journey_migration_runs (
    migration_id uuid NOT NULL REFERENCES journey_migrations ON DELETE CASCADE,
    run_id text NOT NULL,
    moved_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (migration_id, run_id)
);

-- Moving running profiles between versions (services/migrations.py, activities/journey.py).

-- name: migration_candidates
-- The runs of version $2 the entry ledger knows as running.
SELECT run_id, workflow_id, profile_id FROM journey_entries
WHERE journey_id = $1 AND version = $2 AND ended_at IS NULL
ORDER BY entered_at, run_id

-- name: insert_migration
INSERT INTO journey_migrations (migration_id, journey_id, from_version, to_version, key_id,
                                key_name, mapping, request, moved, skipped, failed)
VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8::jsonb, 0, 0, 0)

-- name: list_migrations
-- Newest first, with how many runs have applied each so far.
SELECT m.migration_id, m.journey_id, m.from_version, m.to_version, m.key_id, m.key_name,
       m.created_at, m.mapping, m.moved, m.skipped, m.failed,
       (SELECT count(*) FROM journey_migration_runs r
        WHERE r.migration_id = m.migration_id)::int AS applied
FROM journey_migrations m WHERE m.journey_id = $1 ORDER BY m.created_at DESC, m.migration_id

-- name: count_migration
-- The counts once every signal is out (the row is written before the first one).
UPDATE journey_migrations SET moved = $2, skipped = $3, failed = $4 WHERE migration_id = $1

-- name: move_entry
-- A run applied a migration: its entry now belongs to version $2.
UPDATE journey_entries SET version = $2 WHERE run_id = $1

-- name: insert_migration_run
INSERT INTO journey_migration_runs (migration_id, run_id) VALUES ($1, $2) ON CONFLICT DO NOTHING

-- Read-audience runs of audience-driven journeys (activities/audience_fanout.py).

-- name: fanout_journey
-- The live version of a journey and its definition; no row if the journey does not exist.
SELECT j.status, j.live_version, j.name, v.definition
FROM journeys j
LEFT JOIN journey_versions v ON v.journey_id = j.journey_id AND v.version = j.live_version
WHERE j.journey_id = $1

-- name: fanout_run
SELECT run_key, audience_id, started_at, members FROM audience_runs WHERE run_key = $1

-- name: fanout_insert_run
-- Concurrent prepares of one run: the second waits for the first and inserts nothing.
INSERT INTO audience_runs (run_key, journey_id, audience_id, members)
VALUES ($1, $2, $3, 0)
ON CONFLICT (run_key) DO NOTHING
RETURNING started_at

-- name: fanout_snapshot
-- The members at this instant, in one statement (one consistent snapshot).
INSERT INTO audience_run_members (run_key, profile_id)
SELECT $1, profile_id FROM audience_members WHERE audience_id = $2

-- name: fanout_set_members
UPDATE audience_runs SET members = (SELECT count(*) FROM audience_run_members WHERE run_key = $1)
WHERE run_key = $1
RETURNING members

-- name: fanout_page
-- Keyset pagination over the snapshot: the next members after the last one done.
SELECT profile_id FROM audience_run_members
WHERE run_key = $1 AND profile_id > $2
ORDER BY profile_id
LIMIT $3

-- name: fanout_finish
UPDATE audience_runs SET status = $2, signalled = $3, filtered = $4, finished_at = now()
WHERE run_key = $1

-- name: fanout_drop_snapshot
DELETE FROM audience_run_members WHERE run_key = $1

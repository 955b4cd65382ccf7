-- Send-time optimisation: when each profile opens and clicks (engagement/, services/engagement.py).

-- name: profile_timezones
SELECT profile_id, timezone FROM profiles WHERE profile_id = ANY($1::text[])

-- name: count_engagement
-- $1 profile_id[], $2 goal[], $3 hour[], $4 count[]: one entry per (profile, goal, hour).
INSERT INTO engagement_hours (profile_id, goal, hour, count)
SELECT * FROM unnest($1::text[], $2::text[], $3::smallint[], $4::integer[])
ORDER BY 1, 2, 3
ON CONFLICT (profile_id, goal, hour) DO UPDATE SET count = engagement_hours.count + EXCLUDED.count

-- name: count_population_engagement
-- $1 goal[], $2 hour[], $3 count[]; in key order, so concurrent batches lock rows alike.
INSERT INTO engagement_population (goal, hour, count)
SELECT * FROM unnest($1::text[], $2::smallint[], $3::bigint[])
ORDER BY 1, 2
ON CONFLICT (goal, hour) DO UPDATE SET count = engagement_population.count + EXCLUDED.count

-- name: profile_engagement
SELECT hour, count FROM engagement_hours WHERE profile_id = $1 AND goal = $2

-- name: population_engagement
SELECT hour, count FROM engagement_population WHERE goal = $1

-- name: merge_engagement
-- A merged profile's counts join the target's.
WITH moved AS (
    DELETE FROM engagement_hours WHERE profile_id = $1 RETURNING goal, hour, count
)
INSERT INTO engagement_hours (profile_id, goal, hour, count)
SELECT $2, goal, hour, count FROM moved
ORDER BY goal, hour
ON CONFLICT (profile_id, goal, hour) DO UPDATE SET count = engagement_hours.count + EXCLUDED.count

-- name: erase_engagement
DELETE FROM engagement_hours WHERE profile_id = ANY($1::text[])

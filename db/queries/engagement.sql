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

-- name: mark_send_time_group
UPDATE messages SET send_time = $2 WHERE message_id = $1 AND send_time IS NULL

-- name: report_send_time
-- Per message node of one journey version with send-time optimisation: the sent messages of
-- each group (optimised, holdout) and how many of them were opened and clicked.
SELECT m.node_id, m.send_time AS grp, count(*) AS sent,
       count(*) FILTER (WHERE EXISTS (
           SELECT 1 FROM events e WHERE e.profile_id = m.profile_id
             AND e.name = 'message.opened' AND e.properties->>'message_id' = m.message_id
       )) AS opened,
       count(*) FILTER (WHERE EXISTS (
           SELECT 1 FROM events e WHERE e.profile_id = m.profile_id
             AND e.name = 'message.clicked' AND e.properties->>'message_id' = m.message_id
       )) AS clicked
FROM messages m
WHERE m.journey_id = $1 AND m.version = $2 AND m.send_time IS NOT NULL AND m.status = 'sent'
GROUP BY m.node_id, m.send_time

-- name: audience_engagement
-- The counts of every member of audience $1 for goal $2, with the member's timezone.
SELECT am.profile_id, p.timezone, h.hour, h.count
FROM audience_members am
LEFT JOIN profiles p ON p.profile_id = am.profile_id
LEFT JOIN engagement_hours h ON h.profile_id = am.profile_id AND h.goal = $2
WHERE am.audience_id = $1

-- name: listed_engagement
-- audience_engagement for the profiles $1 an API-triggered run names.
SELECT l.profile_id, p.timezone, h.hour, h.count
FROM (SELECT DISTINCT unnest($1::text[]) AS profile_id) AS l
LEFT JOIN profiles p ON p.profile_id = l.profile_id
LEFT JOIN engagement_hours h ON h.profile_id = l.profile_id AND h.goal = $2

-- name: snapshot_timed
-- A run's snapshot in send order when each member has a time of its own ($4, null: at once)
-- and a send-time group ($5).
INSERT INTO campaign_run_members (campaign_id, run_id, seq, profile_id, due_at, send_time)
SELECT $1, $2, (row_number() OVER (ORDER BY m.due_at NULLS FIRST, m.profile_id))::int - 1,
       m.profile_id, m.due_at, m.grp
FROM unnest($3::text[], $4::timestamptz[], $5::text[]) AS m (profile_id, due_at, grp)

-- name: mark_send_time_groups
UPDATE messages m SET send_time = g.grp
FROM unnest($1::text[], $2::text[]) AS g (message_id, grp)
WHERE m.message_id = g.message_id AND m.send_time IS NULL

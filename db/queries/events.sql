-- The event outbox: ingest (API) and dispatch (router). See DESIGN.md decision 8.

-- name: insert_events
-- $1 event_id[], $2 name[], $3 profile_id[], $4 ts[], $5 properties[]; returns the ids that were new.
-- A profile id that is an alias (a merged anonymousId) lands on the profile it names.
WITH input AS (
    SELECT t.event_id, t.name, COALESCE(a.profile_id, t.profile_id) AS profile_id, t.ts,
           t.properties, t.ord
    FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::jsonb[])
        WITH ORDINALITY AS t(event_id, name, profile_id, ts, properties, ord)
    LEFT JOIN profile_aliases a ON a.alias_id = t.profile_id
), inserted AS (
    INSERT INTO events (event_id, name, profile_id, ts, properties)
    SELECT event_id, name, profile_id, ts, properties FROM input ORDER BY ord
    ON CONFLICT (event_id) DO NOTHING
    RETURNING event_id, profile_id
), queued AS (
    INSERT INTO dispatch_queue (profile_id)
    SELECT DISTINCT profile_id FROM inserted
    ON CONFLICT (profile_id) DO UPDATE SET seq = nextval('dispatch_seq')
    RETURNING profile_id
)
SELECT event_id, profile_id FROM inserted

-- name: notify_events
SELECT pg_notify('wayline_events', '')

-- name: claim_profiles
-- Lease up to $1 profiles with pending events for $2 seconds; other dispatchers skip them.
UPDATE dispatch_queue d
SET leased_until = now() + make_interval(secs => $2)
FROM (
    SELECT profile_id FROM dispatch_queue
    WHERE leased_until < now()
    ORDER BY seq
    LIMIT $1
    FOR UPDATE SKIP LOCKED
) c
WHERE d.profile_id = c.profile_id
RETURNING d.profile_id, d.seq

-- name: pending_events
SELECT id, event_id, name, profile_id, ts, properties, traceparent
FROM events
WHERE profile_id = ANY($1::text[]) AND dispatched_at IS NULL
ORDER BY id

-- name: mark_dispatched
UPDATE events SET dispatched_at = now() WHERE id = ANY($1::bigint[])

-- name: release_profiles
-- Drop queue rows nobody added to since the claim; free the lease on the others.
WITH done AS (
    DELETE FROM dispatch_queue d
    USING unnest($1::text[], $2::bigint[]) AS c(profile_id, seq)
    WHERE d.profile_id = c.profile_id AND d.seq = c.seq
    RETURNING d.profile_id
)
UPDATE dispatch_queue SET leased_until = '-infinity'
WHERE profile_id = ANY($1::text[]) AND profile_id NOT IN (SELECT profile_id FROM done)

-- name: requeue_stranded
-- Safety net for a crash between commit and queue row: any pending event gets a queue row.
INSERT INTO dispatch_queue (profile_id)
SELECT DISTINCT profile_id FROM events
WHERE dispatched_at IS NULL AND received_at < now() - make_interval(secs => $1)
ON CONFLICT (profile_id) DO NOTHING

-- name: delay_profiles
UPDATE dispatch_queue SET leased_until = now() + make_interval(secs => $2)
WHERE profile_id = ANY($1::text[])

-- name: outbox_pressure
-- $1 how many pending events to count at most (the bound + 1 is enough to decide): the
-- backlog of stored, unrouted events and the seconds the oldest of them has waited.
SELECT
    (SELECT count(*) FROM (
        SELECT 1 FROM events WHERE dispatched_at IS NULL LIMIT $1
    ) AS pending) AS backlog,
    COALESCE((
        SELECT EXTRACT(EPOCH FROM now() - received_at)::float8
        FROM events WHERE dispatched_at IS NULL ORDER BY received_at LIMIT 1
    ), 0.0) AS lag

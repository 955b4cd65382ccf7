-- Audiences: definitions, materialized membership and the recheck queue. The rule
-- predicates themselves are compiled per definition (audiences/sql.py).

-- name: insert_audience
INSERT INTO audiences (audience_id, name, description, definition, time_relative)
VALUES ($1, $2, $3, $4::jsonb, $5)
ON CONFLICT (audience_id) DO NOTHING
RETURNING audience_id

-- name: update_audience
UPDATE audiences SET name = $2, description = $3, definition = $4::jsonb, time_relative = $5,
    status = 'active', updated_at = now()
WHERE audience_id = $1
RETURNING audience_id

-- name: archive_audience
UPDATE audiences SET status = 'archived', updated_at = now() WHERE audience_id = $1
RETURNING audience_id

-- name: delete_audience
DELETE FROM audiences WHERE audience_id = $1 RETURNING audience_id

-- name: set_audience_dependencies
-- $2 kinds[], $3 names[]: replaces what the audience depends on.
WITH gone AS (
    DELETE FROM audience_dependencies WHERE audience_id = $1
)
INSERT INTO audience_dependencies (audience_id, kind, name)
SELECT $1, kind, name FROM unnest($2::text[], $3::text[]) AS t(kind, name)
ON CONFLICT DO NOTHING

-- name: read_audience
SELECT a.audience_id, a.name, a.description, a.definition, a.time_relative, a.status,
    a.created_at, a.updated_at, a.evaluated_at,
    (SELECT count(*) FROM audience_members m WHERE m.audience_id = a.audience_id) AS size
FROM audiences a WHERE a.audience_id = $1

-- name: list_audiences
SELECT a.audience_id, a.name, a.description, a.definition, a.time_relative, a.status,
    a.created_at, a.updated_at, a.evaluated_at,
    (SELECT count(*) FROM audience_members m WHERE m.audience_id = a.audience_id) AS size
FROM audiences a ORDER BY a.audience_id

-- name: audience_definitions
-- The rules of the active audiences among $1.
SELECT audience_id, definition FROM audiences
WHERE audience_id = ANY($1::text[]) AND status = 'active'

-- name: lock_audience
-- Serialises membership changes of one audience (full evaluation vs. rechecks).
SELECT pg_advisory_xact_lock(hashtext('audience:' || $1::text))

-- name: eval_work_mem
-- Event conditions are hashed sets of profile ids: give them memory for this transaction.
SELECT set_config('work_mem', $1::text, true)

-- name: apply_membership
-- $1 audience, $2 now, $3 profiles checked (NULL: all of them), $4 those that match.
-- Set-based diff: new members in, leavers out, each change logged and announced in the
-- event outbox as audience.entered / audience.exited (deterministic event ids), queued
-- for dispatch like any ingested event.
WITH matching AS MATERIALIZED (
    SELECT DISTINCT profile_id FROM unnest($4::text[]) AS t(profile_id)
), leavers AS (
    DELETE FROM audience_members m
    WHERE m.audience_id = $1
      AND ($3::text[] IS NULL OR m.profile_id = ANY($3::text[]))
      AND NOT EXISTS (SELECT 1 FROM matching x WHERE x.profile_id = m.profile_id)
    RETURNING m.profile_id
), joiners AS (
    INSERT INTO audience_members (audience_id, profile_id, entered_at)
    SELECT $1, x.profile_id, $2 FROM matching x
    WHERE NOT EXISTS (
        SELECT 1 FROM audience_members m WHERE m.audience_id = $1 AND m.profile_id = x.profile_id
    )
    ORDER BY x.profile_id
    ON CONFLICT DO NOTHING
    RETURNING profile_id
), changes AS (
    INSERT INTO audience_changes (audience_id, profile_id, change, at)
    SELECT $1, profile_id, change, $2 FROM (
        SELECT profile_id, 'exited' AS change FROM leavers
        UNION ALL
        SELECT profile_id, 'entered' FROM joiners
    ) c
    ORDER BY profile_id
    RETURNING id, profile_id, change
), announced AS (
    INSERT INTO events (event_id, name, profile_id, ts, properties)
    SELECT 'audience:' || $1 || ':' || profile_id || ':' || id, 'audience.' || change,
        profile_id, $2, jsonb_build_object('audience_id', $1::text)
    FROM changes ORDER BY id
    ON CONFLICT (event_id) DO NOTHING
    RETURNING profile_id
), queued AS (
    INSERT INTO dispatch_queue (profile_id)
    SELECT DISTINCT profile_id FROM announced
    ON CONFLICT (profile_id) DO UPDATE SET seq = nextval('dispatch_seq')
)
SELECT count(*) FILTER (WHERE change = 'entered') AS entered,
       count(*) FILTER (WHERE change = 'exited') AS exited
FROM changes

-- name: mark_evaluated
UPDATE audiences SET evaluated_at = $2 WHERE audience_id = $1

-- name: audience_sample
SELECT profile_id FROM audience_members WHERE audience_id = $1 ORDER BY profile_id LIMIT $2

-- name: audience_members_page
-- Keyset pagination by profile id: $2 is the last id of the previous page ('' at first).
SELECT profile_id, entered_at FROM audience_members
WHERE audience_id = $1 AND profile_id > $2
ORDER BY profile_id LIMIT $3

-- name: claim_rechecks
-- Lease up to $1 queued (audience, profile) pairs for $2 seconds; others skip them.
UPDATE audience_recheck r
SET leased_until = now() + make_interval(secs => $2)
FROM (
    SELECT audience_id, profile_id FROM audience_recheck
    WHERE leased_until < now()
    ORDER BY seq
    LIMIT $1
    FOR UPDATE SKIP LOCKED
) c
WHERE r.audience_id = c.audience_id AND r.profile_id = c.profile_id
RETURNING r.audience_id, r.profile_id, r.seq

-- name: release_rechecks
-- Drop the pairs nobody re-queued since the claim; free the lease of the others.
WITH c AS (
    SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[]) AS t(audience_id, profile_id, seq)
), done AS (
    DELETE FROM audience_recheck r USING c
    WHERE r.audience_id = c.audience_id AND r.profile_id = c.profile_id AND r.seq = c.seq
    RETURNING r.audience_id, r.profile_id
)
UPDATE audience_recheck r SET leased_until = '-infinity'
FROM c
WHERE r.audience_id = c.audience_id AND r.profile_id = c.profile_id
  AND NOT EXISTS (
    SELECT 1 FROM done d WHERE d.audience_id = r.audience_id AND d.profile_id = r.profile_id
  )

-- name: profile_audiences
SELECT audience_id FROM audience_members WHERE profile_id = $1 ORDER BY audience_id

-- name: all_audience_definitions
-- Every audience's rule, archived ones too: an entity field or type one reads cannot go.
SELECT audience_id, definition FROM audiences ORDER BY audience_id

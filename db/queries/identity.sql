-- Identity: aliases, merging an anonymous profile into a known one (services/identity.py),
-- and erasure (services/erasure.py). Merge: history moves, current state merges.

-- name: lock_identity
-- Serialises merges touching the same ids (taken in sorted order by the caller).
SELECT pg_advisory_xact_lock(hashtextextended($1, 8))

-- name: resolve_alias
SELECT profile_id FROM profile_aliases WHERE alias_id = $1

-- name: upsert_alias
-- $1 alias id now means profile $2.
INSERT INTO profile_aliases (alias_id, profile_id) VALUES ($1, $2)
ON CONFLICT (alias_id) DO UPDATE SET profile_id = EXCLUDED.profile_id
WHERE profile_aliases.profile_id IS DISTINCT FROM EXCLUDED.profile_id
RETURNING alias_id

-- name: repoint_aliases
-- Keeps aliases flat: what pointed to the merged profile $1 now points to $2.
UPDATE profile_aliases SET profile_id = $2 WHERE profile_id = $1

-- name: merge_profile_row
-- The source's row folds into the target's: the target's contact fields and attributes
-- win on conflict; the source row is deleted. Nothing happens without a source row.
WITH src AS (
    DELETE FROM profiles WHERE profile_id = $1
    RETURNING email, phone, timezone, attributes, created_at
)
INSERT INTO profiles (profile_id, email, phone, timezone, attributes, created_at)
SELECT $2, email, phone, timezone, attributes, created_at FROM src
ON CONFLICT (profile_id) DO UPDATE SET
    email = COALESCE(profiles.email, EXCLUDED.email),
    phone = COALESCE(profiles.phone, EXCLUDED.phone),
    timezone = COALESCE(profiles.timezone, EXCLUDED.timezone),
    attributes = EXCLUDED.attributes || profiles.attributes,
    created_at = LEAST(profiles.created_at, EXCLUDED.created_at),
    updated_at = now()
RETURNING profile_id

-- name: move_events
-- Returns how many moved and how many of those the dispatcher has not routed yet.
WITH moved AS (
    UPDATE events SET profile_id = $2 WHERE profile_id = $1
    RETURNING dispatched_at
)
SELECT count(*) AS moved, count(*) FILTER (WHERE dispatched_at IS NULL) AS pending FROM moved

-- name: drop_dispatch_row
DELETE FROM dispatch_queue WHERE profile_id = $1

-- name: queue_profile
INSERT INTO dispatch_queue (profile_id) VALUES ($1)
ON CONFLICT (profile_id) DO UPDATE SET seq = nextval('dispatch_seq')

-- name: move_entries
-- Finished runs are history and move (re-entry rules see them). Runs still active stay
-- under the old id: the merge ends them, and an entry cut short that way must not keep the
-- known profile out of the journey. Returns those active runs.
WITH moved AS (
    UPDATE journey_entries SET profile_id = $2 WHERE profile_id = $1 AND ended_at IS NOT NULL
)
SELECT run_id, workflow_id FROM journey_entries WHERE profile_id = $1 AND ended_at IS NULL

-- name: move_messages
UPDATE messages SET profile_id = $2 WHERE profile_id = $1

-- name: move_inbox
UPDATE inbox SET profile_id = $2 WHERE profile_id = $1

-- name: move_action_calls
UPDATE action_calls SET profile_id = $2 WHERE profile_id = $1

-- name: move_experiment_assignments
UPDATE experiment_assignments SET profile_id = $2 WHERE profile_id = $1

-- name: move_profile_updates
UPDATE profile_updates SET profile_id = $2 WHERE profile_id = $1

-- name: merge_subscriptions
-- The target's consent wins: the source's choices fill only what the target never set.
WITH src AS (
    DELETE FROM subscriptions WHERE profile_id = $1
    RETURNING channel, topic, status, updated_at
)
INSERT INTO subscriptions (profile_id, channel, topic, status, updated_at)
SELECT $2, channel, topic, status, updated_at FROM src
ON CONFLICT (profile_id, channel, topic) DO NOTHING

-- name: exit_audiences
-- The source profile stops existing: it leaves its audiences (recorded under its own id);
-- the target's membership is the audience evaluator's to decide.
WITH gone AS (
    DELETE FROM audience_members WHERE profile_id = $1 RETURNING audience_id
)
INSERT INTO audience_changes (audience_id, profile_id, change)
SELECT audience_id, $1, 'exited' FROM gone

-- name: end_entries_with_reason
UPDATE journey_entries SET ended_at = now(), status = 'exited', reason = $2
WHERE run_id = ANY($1::text[]) AND ended_at IS NULL

-- name: profile_identities
-- The profile and every id merged into it: what an erasure removes.
SELECT $1::text AS profile_id
UNION
SELECT alias_id FROM profile_aliases WHERE profile_id = $1

-- name: active_entries_of
SELECT run_id, workflow_id FROM journey_entries
WHERE profile_id = ANY($1::text[]) AND ended_at IS NULL

-- name: erase_profile_rows
DELETE FROM profiles WHERE profile_id = ANY($1::text[])

-- name: erase_events
DELETE FROM events WHERE profile_id = ANY($1::text[])

-- name: erase_dispatch_rows
DELETE FROM dispatch_queue WHERE profile_id = ANY($1::text[])

-- name: erase_aliases
DELETE FROM profile_aliases WHERE profile_id = ANY($1::text[]) OR alias_id = ANY($1::text[])

-- name: erase_inbox
DELETE FROM inbox WHERE profile_id = ANY($1::text[])

-- name: erase_audience_members
DELETE FROM audience_members WHERE profile_id = ANY($1::text[])

-- name: erase_audience_changes
DELETE FROM audience_changes WHERE profile_id = ANY($1::text[])

-- name: erase_subscriptions
DELETE FROM subscriptions WHERE profile_id = ANY($1::text[])

-- name: erase_profile_updates
DELETE FROM profile_updates WHERE profile_id = ANY($1::text[])

-- name: tombstone_messages
-- The ledger keeps ids, channel, template name, status and timestamps (reports, idempotency);
-- the address, the rendered content and the provider's error text go.
UPDATE messages SET recipient = NULL, subject = NULL, body = NULL, error = NULL,
    erased_at = now()
WHERE profile_id = ANY($1::text[]) AND erased_at IS NULL

-- name: scrub_action_calls
-- Rendered request parameters and responses hold personal data; the call record stays.
UPDATE action_calls SET request = NULL, response = NULL, error = NULL
WHERE profile_id = ANY($1::text[]) AND (request IS NOT NULL OR response IS NOT NULL
    OR error IS NOT NULL)

-- name: record_erasure
INSERT INTO profile_erasures (profile_hash, key_id, key_name, counts)
VALUES ($1, $2, $3, $4::jsonb)
RETURNING id, erased_at

-- name: set_timezones
-- Segment's context.timezone keeps existing profiles' zone current (last call wins);
-- $1 profile ids (aliases resolved here), $2 IANA zones, in call order.
UPDATE profiles p SET timezone = v.tz, updated_at = now()
FROM (
    SELECT DISTINCT ON (r.pid) r.pid, r.tz
    FROM (
        SELECT COALESCE(a.profile_id, t.pid) AS pid, t.tz, t.ord
        FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS t(pid, tz, ord)
        LEFT JOIN profile_aliases a ON a.alias_id = t.pid
    ) r
    ORDER BY r.pid, r.ord DESC
) v
WHERE p.profile_id = v.pid AND p.timezone IS DISTINCT FROM v.tz

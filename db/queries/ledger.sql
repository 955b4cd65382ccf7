-- Ledgers written by activities: journey entries and messages (DESIGN.md decision 2).

-- name: journey_version_definition
SELECT definition FROM journey_versions WHERE journey_id = $1 AND version = $2

-- name: get_profile
-- `audiences`: the ids of the audiences the profile is in (`"vip" in profile.audiences`).
SELECT profile_id, email, phone, timezone, attributes,
    ARRAY(SELECT m.audience_id FROM audience_members m
          WHERE m.profile_id = p.profile_id ORDER BY 1) AS audiences
FROM profiles p WHERE profile_id = $1

-- name: get_profiles
SELECT profile_id, email, phone, timezone, attributes,
    ARRAY(SELECT m.audience_id FROM audience_members m
          WHERE m.profile_id = p.profile_id ORDER BY 1) AS audiences
FROM profiles p WHERE profile_id = ANY($1::text[])

-- name: previous_entry
-- The latest other run of this journey for this profile and key (none: unkeyed), for the
-- re-entrance rule, which applies per instance (decision 13).
SELECT run_id, entered_at, ended_at, status FROM journey_entries
WHERE journey_id = $1 AND profile_id = $2 AND run_id <> $3 AND entry_key IS NOT DISTINCT FROM $4
ORDER BY entered_at DESC LIMIT 1

-- name: insert_entry
INSERT INTO journey_entries (run_id, workflow_id, journey_id, version, profile_id, entered_at,
                             entry_event_id, entry_key)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT (run_id) DO NOTHING

-- name: finish_entry
UPDATE journey_entries SET ended_at = $2, status = $3, reason = $4
WHERE run_id = $1 AND ended_at IS NULL
RETURNING journey_id

-- name: get_template
SELECT name, channel, subject, body FROM templates WHERE name = $1

-- name: mark_message
UPDATE messages SET status = $2, error = $3,
    sent_at = CASE WHEN $2 = 'sent' THEN now() ELSE sent_at END
WHERE message_id = $1

-- name: claim_profile_update
INSERT INTO profile_updates (update_id, profile_id) VALUES ($1, $2)
ON CONFLICT (update_id) DO NOTHING
RETURNING update_id

-- name: lock_profile
-- The profile row, created empty if missing, locked for a read-modify-write.
INSERT INTO profiles (profile_id) VALUES ($1)
ON CONFLICT (profile_id) DO UPDATE SET profile_id = EXCLUDED.profile_id
RETURNING profile_id, email, phone, timezone, attributes,
    ARRAY(SELECT m.audience_id FROM audience_members m
          WHERE m.profile_id = profiles.profile_id ORDER BY 1) AS audiences

-- name: set_profile_attributes
UPDATE profiles SET attributes = $2, updated_at = now() WHERE profile_id = $1

-- name: record_assignment
INSERT INTO experiment_assignments (run_id, node_id, journey_id, version, profile_id, variant)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (run_id, node_id) DO NOTHING

-- name: live_journey
SELECT j.journey_id, j.name, j.status, j.live_version
FROM journeys j WHERE j.journey_id = $1

-- name: entry_exists
SELECT 1 FROM journey_entries WHERE run_id = $1

-- name: entry_event_entered
-- Another run of this journey that the same entry event entered already.
SELECT run_id FROM journey_entries
WHERE profile_id = $2 AND journey_id = $1 AND entry_event_id = $3 AND run_id <> $4
LIMIT 1

-- name: entry_counts
-- For entry caps: entries since the start of the UTC day of $2, and profiles inside now.
SELECT
    count(*) FILTER (WHERE entered_at >= date_trunc('day', $2::timestamptz AT TIME ZONE 'UTC')
                                         AT TIME ZONE 'UTC') AS today,
    count(*) FILTER (WHERE ended_at IS NULL) AS inside
FROM journey_entries WHERE journey_id = $1

-- name: connector_specs
SELECT 'action' AS kind, name, spec FROM actions WHERE name = ANY($1::text[])
UNION ALL
SELECT 'fetch' AS kind, name, spec FROM data_sources WHERE name = ANY($1::text[])

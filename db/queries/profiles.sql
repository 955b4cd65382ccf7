-- Profiles as the API writes and reads them (api/routes/profiles.py). An id that was merged
-- into another profile (profile_aliases) means that profile, as it does for events: a write
-- to the old id must not create a stray row beside the merged one.

-- name: put_profile
-- PUT replaces every field; `created` tells an insert from a replacement.
INSERT INTO profiles (profile_id, email, phone, timezone, attributes)
VALUES (COALESCE((SELECT a.profile_id FROM profile_aliases a WHERE a.alias_id = $1), $1), $2, $3, $4, $5::jsonb)
ON CONFLICT (profile_id) DO UPDATE SET
    email = EXCLUDED.email, phone = EXCLUDED.phone, timezone = EXCLUDED.timezone,
    attributes = EXCLUDED.attributes, updated_at = now()
RETURNING profile_id, email, phone, timezone, attributes, created_at, updated_at,
    (xmax = 0) AS created

-- name: patch_profile
-- $2: the contact fields given (keys of {email, phone, timezone}); $3 attributes to set;
-- $4 attribute names to remove. Creates the profile when it does not exist yet.
INSERT INTO profiles (profile_id, email, phone, timezone, attributes)
VALUES (COALESCE((SELECT a.profile_id FROM profile_aliases a WHERE a.alias_id = $1), $1), $2::jsonb ->> 'email', $2::jsonb ->> 'phone', $2::jsonb ->> 'timezone', $3::jsonb)
ON CONFLICT (profile_id) DO UPDATE SET
    email = CASE WHEN $2::jsonb ? 'email' THEN $2::jsonb ->> 'email' ELSE profiles.email END,
    phone = CASE WHEN $2::jsonb ? 'phone' THEN $2::jsonb ->> 'phone' ELSE profiles.phone END,
    timezone = CASE WHEN $2::jsonb ? 'timezone' THEN $2::jsonb ->> 'timezone'
                    ELSE profiles.timezone END,
    attributes = (profiles.attributes || $3::jsonb) - $4::text[],
    updated_at = now()
RETURNING profile_id, email, phone, timezone, attributes, created_at, updated_at,
    (xmax = 0) AS created

-- name: read_profile
SELECT profile_id, email, phone, timezone, attributes, created_at, updated_at
FROM profiles WHERE profile_id = COALESCE((SELECT a.profile_id FROM profile_aliases a WHERE a.alias_id = $1), $1)

-- name: profile_entries
-- A profile's journey runs, newest first; a keyed journey's runs each with its key.
SELECT run_id, workflow_id, journey_id, entry_key AS key, version, status, reason, entered_at,
    ended_at
FROM journey_entries
WHERE profile_id = $1
ORDER BY entered_at DESC, run_id
LIMIT $2

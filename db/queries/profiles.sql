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

-- name: find_profiles
-- The profiles a text names: as an id ($1), an alias of a merged id ($1), an email ($2,
-- compared without case) or a phone in E.164 ($3); $2 and $3 are null when the text is not
-- one. Email and phone are looked up by their indexes (migration 024).
WITH hits AS (
    SELECT profile_id, 1 AS rank, 'id' AS matched_by FROM profiles WHERE profile_id = $1
    UNION ALL
    SELECT profile_id, 2, 'alias' FROM profile_aliases WHERE alias_id = $1
    UNION ALL
    SELECT profile_id, 3, 'email' FROM profiles
    WHERE $2::text IS NOT NULL AND lower(email) = lower($2)
    UNION ALL
    SELECT profile_id, 4, 'phone' FROM profiles WHERE $3::text IS NOT NULL AND phone = $3
), best AS (
    SELECT DISTINCT ON (profile_id) profile_id, matched_by, rank FROM hits
    ORDER BY profile_id, rank
)
SELECT p.profile_id, p.email, p.phone, p.timezone, p.attributes, p.created_at,
       p.updated_at, b.matched_by
FROM best b JOIN profiles p USING (profile_id)
ORDER BY b.rank, p.profile_id
LIMIT $4

-- name: profile_memberships
-- The audiences a profile (or the profile an alias names) is in now, with when it entered.
SELECT m.audience_id, a.name, m.entered_at
FROM audience_members m JOIN audiences a USING (audience_id)
WHERE m.profile_id = COALESCE((SELECT pa.profile_id FROM profile_aliases pa WHERE pa.alias_id = $1), $1)
ORDER BY m.audience_id

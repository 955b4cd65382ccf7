-- Fragments (services/fragments.py) and who includes them; templates render them at send time.

-- name: lock_fragment_graph
-- Serialises saves that change the include graph, so two saves cannot close a cycle
-- together, and a fragment cannot be deleted while a save starts to use it.
SELECT pg_advisory_xact_lock(hashtext('wayline:fragment-graph'))

-- name: put_fragment
INSERT INTO fragments (name, description, body, locales)
VALUES ($1, $2, $3, $4)
ON CONFLICT (name) DO UPDATE SET
    description = EXCLUDED.description, body = EXCLUDED.body, locales = EXCLUDED.locales,
    version = fragments.version + 1, updated_at = now()
RETURNING name, description, body, locales, version, created_at, updated_at,
    (xmax = 0) AS created

-- name: keep_fragment_version
INSERT INTO fragment_versions (name, version, description, body, locales)
VALUES ($1, $2, $3, $4, $5)

-- name: read_fragment
SELECT name, description, body, locales, version, created_at, updated_at
FROM fragments WHERE name = $1

-- name: list_fragments
SELECT name, description, body, locales, version, created_at, updated_at
FROM fragments ORDER BY name

-- name: fragment_versions
SELECT name, version, description, body, locales, saved_at
FROM fragment_versions WHERE name = $1 ORDER BY version DESC

-- name: render_fragments
-- Every fragment's text, read once per render (journey send) or per batch (campaign), so a
-- changed fragment is in the very next message.
SELECT name, body, locales FROM fragments

-- name: fragment_names
SELECT name FROM fragments WHERE name = ANY($1::text[])

-- name: fragment_edges
-- The include graph between fragments, for the cycle check.
SELECT user_name, fragment FROM fragment_uses WHERE user_kind = 'fragment'

-- name: forget_uses
DELETE FROM fragment_uses WHERE user_kind = $1 AND user_name = $2

-- name: record_uses
INSERT INTO fragment_uses (user_kind, user_name, fragment)
SELECT $1, $2, f FROM unnest($3::text[]) AS f
ON CONFLICT DO NOTHING

-- name: fragment_users
SELECT user_kind, user_name FROM fragment_uses WHERE fragment = $1
ORDER BY user_kind DESC, user_name

-- name: delete_fragment
DELETE FROM fragments WHERE name = $1 RETURNING name

-- name: forget_template_uses
DELETE FROM fragment_uses WHERE user_kind = 'template' AND user_name = $1

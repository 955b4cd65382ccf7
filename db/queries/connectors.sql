-- Actions and data sources (api/routes/actions.py) and their call ledger (activities).

-- name: put_action
INSERT INTO actions (name, spec) VALUES ($1, $2)
ON CONFLICT (name) DO UPDATE SET spec = EXCLUDED.spec, updated_at = now()
RETURNING name, spec, created_at, updated_at, (xmax = 0) AS created

-- name: read_action
SELECT name, spec, created_at, updated_at FROM actions WHERE name = $1

-- name: list_actions
SELECT name, spec, created_at, updated_at FROM actions ORDER BY name

-- name: delete_action
DELETE FROM actions WHERE name = $1 RETURNING name

-- name: notify_actions
SELECT pg_notify('wayline_actions', $1)

-- name: put_data_source
INSERT INTO data_sources (name, spec) VALUES ($1, $2)
ON CONFLICT (name) DO UPDATE SET spec = EXCLUDED.spec, updated_at = now()
RETURNING name, spec, created_at, updated_at, (xmax = 0) AS created

-- name: read_data_source
SELECT name, spec, created_at, updated_at FROM data_sources WHERE name = $1

-- name: list_data_sources
SELECT name, spec, created_at, updated_at FROM data_sources ORDER BY name

-- name: delete_data_source
DELETE FROM data_sources WHERE name = $1 RETURNING name

-- name: action_specs
SELECT name, spec FROM actions WHERE name = ANY($1::text[])

-- name: claim_call
INSERT INTO action_calls (call_id, kind, name, profile_id, journey_id, version, node_id, status,
                          request, attempts)
VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8, 1)
ON CONFLICT (call_id) DO UPDATE SET attempts = action_calls.attempts + 1
RETURNING status, response, error

-- name: finish_call
UPDATE action_calls SET status = $2, response = $3, error = $4, finished_at = now()
WHERE call_id = $1

-- name: live_journeys_using_action
SELECT j.journey_id FROM journeys j
JOIN journey_versions v ON v.journey_id = j.journey_id AND v.version = j.live_version
WHERE j.status = 'live' AND EXISTS (
    SELECT 1 FROM jsonb_each(v.definition -> 'nodes') AS n(id, node)
    WHERE n.node ->> 'type' = 'action' AND n.node ->> 'action' = $1)

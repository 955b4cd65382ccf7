-- Journey drafts and published versions (api/routes/journeys.py).

-- name: put_journey_draft
-- $4 is the key that wrote it. A changed draft withdraws the approval request and the
-- approval (the approver approved what they saw); the same draft again changes nothing, so
-- saving before publishing keeps an approval. Nothing is returned for an unchanged draft.
INSERT INTO journeys (journey_id, name, draft, draft_updated_at, draft_updated_by)
VALUES ($1, $2, $3::jsonb, now(), $4)
ON CONFLICT (journey_id) DO UPDATE SET
    name = EXCLUDED.name, draft = EXCLUDED.draft, draft_updated_at = now(), updated_at = now(),
    draft_updated_by = EXCLUDED.draft_updated_by, approval_requested_by = NULL,
    approval_requested_at = NULL, approved_by = NULL, approved_at = NULL,
    approval_draft_at = NULL
WHERE journeys.draft IS DISTINCT FROM EXCLUDED.draft
RETURNING (xmax = 0) AS created

-- name: read_journey
SELECT journey_id, name, status, live_version, draft, draft_updated_at, created_at, updated_at
FROM journeys WHERE journey_id = $1

-- name: list_journeys
SELECT journey_id, name, status, live_version, draft_updated_at, updated_at
FROM journeys ORDER BY journey_id

-- name: list_journey_versions
SELECT version, published_at FROM journey_versions WHERE journey_id = $1 ORDER BY version

-- name: read_journey_version
SELECT journey_id, version, published_at, definition
FROM journey_versions WHERE journey_id = $1 AND version = $2

-- name: lock_journey
-- Publish, stop and approval hold the journey row: two publishes cannot take the same
-- number, and an approval is of the draft as it is at that moment.
SELECT journey_id, name, status, live_version, draft, draft_updated_at, draft_updated_by,
       requires_approval, approval_requested_by, approved_by, approval_draft_at
FROM journeys WHERE journey_id = $1 FOR UPDATE

-- name: latest_journey_version
SELECT version, definition FROM journey_versions
WHERE journey_id = $1 ORDER BY version DESC LIMIT 1

-- name: insert_journey_version
INSERT INTO journey_versions (journey_id, version, definition) VALUES ($1, $2, $3::jsonb)

-- name: set_journey_live
UPDATE journeys SET status = 'live', live_version = $2, updated_at = now() WHERE journey_id = $1

-- name: set_journey_stopped
UPDATE journeys SET status = 'stopped', updated_at = now() WHERE journey_id = $1

-- name: notify_journeys
-- Routers reload their registry on this; sent inside the publishing transaction.
-- $1 is core.names.NOTIFY_JOURNEYS, $2 the journey id.
SELECT pg_notify($1::text, $2::text)

-- name: resource_names
-- What a definition may name besides templates, checked at publish.
SELECT 'action' AS kind, name FROM actions
UNION ALL SELECT 'fetch', name FROM data_sources
UNION ALL SELECT 'journey', journey_id FROM journeys
UNION ALL SELECT 'decision', policy_id FROM decision_policies

-- name: active_entries
SELECT run_id, workflow_id FROM journey_entries WHERE journey_id = $1 AND ended_at IS NULL

-- name: end_entries_stopped
UPDATE journey_entries SET ended_at = now(), status = 'exited', reason = 'stopped by terminate'
WHERE run_id = ANY($1::text[]) AND ended_at IS NULL

-- name: test_resources
-- Everything test mode renders from: templates, fragments, actions and data sources.
SELECT 'template' AS kind, name,
       jsonb_build_object('channel', channel, 'subject', subject, 'body', body,
                          'locales', locales) AS spec
FROM templates
UNION ALL SELECT 'fragment', name, jsonb_build_object('body', body, 'locales', locales)
FROM fragments
UNION ALL SELECT 'action', name, spec FROM actions
UNION ALL SELECT 'fetch', name, spec FROM data_sources

-- name: journeys_overview
-- Every journey with who is inside now, runs that entered and ended over the last $1
-- seconds, the errored among those ended (the profile_error_rate alert's sample), and its
-- open alerts (scope `journey:<id>`).
SELECT j.journey_id, j.name, j.status, j.live_version, j.updated_at,
       coalesce(e.inside, 0) AS inside, coalesce(e.entries, 0) AS entries,
       coalesce(e.exits, 0) AS exits, coalesce(e.errored, 0) AS errored,
       coalesce(a.open_alerts, 0) AS open_alerts
FROM journeys j
LEFT JOIN LATERAL (
    SELECT count(*) FILTER (WHERE ended_at IS NULL) AS inside,
           count(*) FILTER (WHERE entered_at > now() - make_interval(secs => $1)) AS entries,
           count(*) FILTER (WHERE ended_at > now() - make_interval(secs => $1)) AS exits,
           count(*) FILTER (WHERE ended_at > now() - make_interval(secs => $1)
                              AND status = 'errored') AS errored
    FROM journey_entries WHERE journey_id = j.journey_id
) e ON true
LEFT JOIN LATERAL (
    SELECT count(*) AS open_alerts FROM alerts
    WHERE status = 'open' AND scope = 'journey:' || j.journey_id
) a ON true
ORDER BY j.journey_id

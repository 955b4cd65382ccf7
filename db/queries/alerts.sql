-- Alerts on error rates over a sliding window (workers/alerts.py, db/migrations/015_alerts.sql).

-- name: alerts_try_lock
-- One evaluator at a time across worker processes; the others skip the tick.
SELECT pg_try_advisory_xact_lock(hashtext('wayline:alerts'))

-- name: alert_samples
-- Failures and outcomes per scope over the last $1 seconds: action and fetch calls that
-- finished, sends that were attempted (skips are rules, not failures), journey runs that ended.
SELECT 'action_error_rate' AS kind, kind || ':' || name AS scope,
       count(*) FILTER (WHERE status = 'failed') AS failures, count(*) AS total
FROM action_calls
WHERE finished_at > now() - make_interval(secs => $1) AND status IN ('succeeded', 'failed')
GROUP BY kind, name
UNION ALL
SELECT 'message_failure_rate', 'channel:' || channel,
       count(*) FILTER (WHERE status = 'failed'), count(*)
FROM messages
WHERE created_at > now() - make_interval(secs => $1) AND status IN ('sent', 'failed')
  AND NOT proof
GROUP BY channel
UNION ALL
SELECT 'profile_error_rate', 'journey:' || journey_id,
       count(*) FILTER (WHERE status = 'errored'), count(*)
FROM journey_entries
WHERE ended_at > now() - make_interval(secs => $1)
GROUP BY journey_id

-- name: open_alerts
SELECT alert_id, kind, scope FROM alerts WHERE status = 'open'

-- name: open_alert
INSERT INTO alerts (kind, scope, value, peak, last_value, threshold, failures, samples,
                    window_seconds)
VALUES ($1, $2, $3, $3, $3, $4, $5, $6, $7)
ON CONFLICT (kind, scope) WHERE status = 'open' DO NOTHING
RETURNING alert_id

-- name: update_alert
UPDATE alerts SET last_value = $2, peak = greatest(peak, $2), failures = $3, samples = $4,
    evaluated_at = now()
WHERE alert_id = $1 AND status = 'open'

-- name: resolve_alert
UPDATE alerts SET status = 'resolved', resolved_at = now(), last_value = $2, failures = $3,
    samples = $4, evaluated_at = now()
WHERE alert_id = $1 AND status = 'open'

-- name: alerts_to_notify
-- Transitions not yet delivered, each taken by one worker (SKIP LOCKED).
SELECT alert_id, kind, scope, status, opened_at, resolved_at, value, peak, last_value,
       threshold, failures, samples, window_seconds, notified_open_at, notified_resolved_at
FROM alerts
WHERE (notified_open_at IS NULL OR (status = 'resolved' AND notified_resolved_at IS NULL))
  AND delivery_attempts < $1
ORDER BY alert_id
LIMIT 50
FOR UPDATE SKIP LOCKED

-- name: alert_notified
UPDATE alerts SET
    notified_open_at = coalesce(notified_open_at, now()),
    notified_resolved_at = CASE WHEN $2 THEN now() ELSE notified_resolved_at END,
    delivery_error = NULL
WHERE alert_id = $1

-- name: alert_delivery_failed
UPDATE alerts SET delivery_attempts = delivery_attempts + 1, delivery_error = $2
WHERE alert_id = $1

-- name: list_alerts
SELECT alert_id, kind, scope, status, opened_at, resolved_at, value, peak, last_value,
       threshold, failures, samples, window_seconds, evaluated_at, notified_open_at,
       notified_resolved_at, delivery_error
FROM alerts
WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR kind = $2)
  AND ($3::text IS NULL OR scope = $3)
ORDER BY opened_at DESC, alert_id DESC
LIMIT $4

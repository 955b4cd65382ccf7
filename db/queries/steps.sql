-- The step ledger (db/migrations/014_step_ledger.sql) and quiet-hours deferrals.

-- name: record_steps
-- A batch of visits of one run, at most one per (node, visit) (journeys.trace.merge). A row
-- is inserted open or closed; an open row is closed once; a closed row never changes, so a
-- retried or replayed batch changes nothing.
INSERT INTO journey_steps (run_id, workflow_id, journey_id, version, profile_id, node_id, visit,
                           node_type, entered_at, seq, left_at, outcome, detail, checks)
SELECT $1, $2, $3, $4, $5, s.node_id, s.visit, s.node_type, s.entered_at, s.seq, s.left_at,
       s.outcome, s.detail, s.checks::jsonb
FROM unnest($6::text[], $7::int[], $8::text[], $9::timestamptz[], $10::int[],
            $11::timestamptz[], $12::text[], $13::text[], $14::text[])
     AS s(node_id, visit, node_type, entered_at, seq, left_at, outcome, detail, checks)
ON CONFLICT (run_id, node_id, visit) DO UPDATE SET
    left_at = EXCLUDED.left_at, outcome = EXCLUDED.outcome,
    detail = EXCLUDED.detail, checks = EXCLUDED.checks,
    seq = coalesce(journey_steps.seq, EXCLUDED.seq)
WHERE journey_steps.left_at IS NULL AND EXCLUDED.left_at IS NOT NULL

-- name: defer_message
-- The send at a message node waits for the end of its quiet hours or for its chosen send
-- time ($10: quiet_hours, send_time): visible in the ledger now.
INSERT INTO messages (message_id, profile_id, journey_id, version, node_id, workflow_id, channel,
                      template, status, reason, deferred_until, attempts)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'deferred', $10, $9, 0)
ON CONFLICT (message_id) DO NOTHING

-- name: cancel_deferred
-- The journey ended (exit_on, stop) before a deferred send went: it never will.
UPDATE messages SET status = 'skipped',
    reason = coalesce(reason, 'deferred') || ': the journey ended before the send'
WHERE message_id = $1 AND status = 'deferred'

-- name: report_steps
-- Per node of one journey version: visits and how they ended; `profiles` counts first visits
-- (a run's profile once per node; a distinct count was 15x slower on 200k visits); `waiting`
-- the visits not left: a run writes its open visit when it comes to rest there.
SELECT node_id,
       count(*) AS entered,
       count(*) FILTER (WHERE left_at IS NULL) AS waiting,
       count(*) FILTER (WHERE visit = 1) AS profiles,
       count(*) FILTER (WHERE outcome = 'exited') AS exited,
       count(*) FILTER (WHERE outcome = 'exit_criteria') AS exit_criteria,
       count(*) FILTER (WHERE outcome = 'errored') AS errored,
       count(*) FILTER (WHERE outcome = 'timed_out') AS timed_out
FROM journey_steps WHERE journey_id = $1 AND version = $2
GROUP BY node_id

-- name: report_messages
-- Per message node of one journey version: sends by status and reason.
SELECT node_id, status, reason, count(*) AS n
FROM messages WHERE journey_id = $1 AND version = $2 AND node_id IS NOT NULL AND NOT proof
GROUP BY node_id, status, reason

-- name: report_split_paths
-- Profiles per path of the split nodes $3, and how many of them had the goal event $4 after
-- they took the path.
SELECT s.node_id, substr(s.detail, 6) AS path,
       count(DISTINCT s.profile_id) AS profiles,
       count(DISTINCT s.profile_id) FILTER (WHERE $4::text IS NOT NULL AND EXISTS (
           SELECT 1 FROM events e
           WHERE e.profile_id = s.profile_id AND e.name = $4::text AND e.ts >= s.left_at))
           AS converted
FROM journey_steps s
WHERE s.journey_id = $1 AND s.version = $2 AND s.node_id = ANY($3::text[])
  AND s.outcome = 'exited' AND s.detail LIKE 'path %'
GROUP BY s.node_id, path

-- name: report_experiment_variants
-- Profiles per variant of each experiment (the assignment ledger) and the goal event $3.
SELECT a.node_id, a.variant AS path,
       count(DISTINCT a.profile_id) AS profiles,
       count(DISTINCT a.profile_id) FILTER (WHERE $3::text IS NOT NULL AND EXISTS (
           SELECT 1 FROM events e
           WHERE e.profile_id = a.profile_id AND e.name = $3::text AND e.ts >= a.assigned_at))
           AS converted
FROM experiment_assignments a
WHERE a.journey_id = $1 AND a.version = $2
GROUP BY a.node_id, a.variant

-- name: report_entries
-- The journey version's runs by status.
SELECT status, count(*) AS n FROM journey_entries
WHERE journey_id = $1 AND version = $2 GROUP BY status

-- name: profile_runs
-- A profile's runs of one journey, newest first (a keyed journey's: of every key).
SELECT run_id, workflow_id, journey_id, entry_key AS key, version, status, reason, entered_at,
    ended_at
FROM journey_entries WHERE profile_id = $1 AND journey_id = $2
ORDER BY entered_at DESC LIMIT $3

-- name: profile_steps
-- The visits of those runs, in the order they happened.
SELECT run_id, node_id, visit, node_type, entered_at, left_at, outcome, detail, checks
FROM journey_steps WHERE run_id = ANY($1::text[])
ORDER BY run_id, seq NULLS LAST, entered_at, visit

-- name: messages_by_id
SELECT message_id, node_id, channel, template, status, reason, error, recipient, subject,
       created_at, sent_at, deferred_until
FROM messages WHERE message_id = ANY($1::text[])

-- name: close_steps_stopped
-- Runs ended by a stop with terminate: where they were, they left by the stop.
UPDATE journey_steps SET left_at = now(), outcome = 'exit_criteria', detail = 'stopped by terminate'
WHERE run_id = ANY($1::text[]) AND left_at IS NULL

-- name: cancel_deferred_stopped
UPDATE messages SET status = 'skipped',
    reason = coalesce(reason, 'deferred') || ': the journey ended before the send'
WHERE workflow_id = ANY($1::text[]) AND status = 'deferred'

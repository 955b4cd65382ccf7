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
-- Per node of one journey version: visits entered in the window [$3, $4) (either end open
-- when null) and how they ended; `profiles` counts first visits (a run's profile once per
-- node; a distinct count was 15x slower on 200k visits); `waiting` the visits not left now,
-- whenever entered: a run writes its open visit when it comes to rest there.
SELECT node_id,
       count(*) FILTER (WHERE w.inside) AS entered,
       count(*) FILTER (WHERE left_at IS NULL) AS waiting,
       count(*) FILTER (WHERE w.inside AND visit = 1) AS profiles,
       count(*) FILTER (WHERE w.inside AND outcome = 'exited') AS exited,
       count(*) FILTER (WHERE w.inside AND outcome = 'exit_criteria') AS exit_criteria,
       count(*) FILTER (WHERE w.inside AND outcome = 'errored') AS errored,
       count(*) FILTER (WHERE w.inside AND outcome = 'timed_out') AS timed_out
FROM journey_steps,
     LATERAL (SELECT ($3::timestamptz IS NULL OR entered_at >= $3)
                 AND ($4::timestamptz IS NULL OR entered_at < $4) AS inside) w
WHERE journey_id = $1 AND version = $2 AND (w.inside OR left_at IS NULL)
GROUP BY node_id

-- name: report_messages
-- Per message node of one journey version: sends by status and reason, those created in the
-- window [$3, $4) and the deferred ones (waiting for their time now) whenever created.
SELECT node_id, status, reason, count(*) AS n
FROM messages WHERE journey_id = $1 AND version = $2 AND node_id IS NOT NULL AND NOT proof
  AND (status = 'deferred' OR (($3::timestamptz IS NULL OR created_at >= $3)
                               AND ($4::timestamptz IS NULL OR created_at < $4)))
GROUP BY node_id, status, reason

-- name: report_split_paths
-- Profiles per path of the split nodes $3 who entered it in the window [$5, $6), and how many
-- of them had the goal event $4 after they took the path.
SELECT s.node_id, substr(s.detail, 6) AS path,
       count(DISTINCT s.profile_id) AS profiles,
       count(DISTINCT s.profile_id) FILTER (WHERE $4::text IS NOT NULL AND EXISTS (
           SELECT 1 FROM events e
           WHERE e.profile_id = s.profile_id AND e.name = $4::text AND e.ts >= s.left_at))
           AS converted
FROM journey_steps s
WHERE s.journey_id = $1 AND s.version = $2 AND s.node_id = ANY($3::text[])
  AND s.outcome = 'exited' AND s.detail LIKE 'path %'
  AND ($5::timestamptz IS NULL OR s.entered_at >= $5)
  AND ($6::timestamptz IS NULL OR s.entered_at < $6)
GROUP BY s.node_id, path

-- name: report_experiment_variants
-- Profiles per variant of each experiment (the assignment ledger) assigned in the window
-- [$4, $5), and the goal event $3.
SELECT a.node_id, a.variant AS path,
       count(DISTINCT a.profile_id) AS profiles,
       count(DISTINCT a.profile_id) FILTER (WHERE $3::text IS NOT NULL AND EXISTS (
           SELECT 1 FROM events e
           WHERE e.profile_id = a.profile_id AND e.name = $3::text AND e.ts >= a.assigned_at))
           AS converted
FROM experiment_assignments a
WHERE a.journey_id = $1 AND a.version = $2
  AND ($4::timestamptz IS NULL OR a.assigned_at >= $4)
  AND ($5::timestamptz IS NULL OR a.assigned_at < $5)
GROUP BY a.node_id, a.variant

-- name: report_entries
-- The journey version's runs entered in the window [$3, $4), by status.
SELECT status, count(*) AS n FROM journey_entries
WHERE journey_id = $1 AND version = $2
  AND ($3::timestamptz IS NULL OR entered_at >= $3) AND ($4::timestamptz IS NULL OR entered_at < $4)
GROUP BY status

-- name: node_series
-- One node of one journey version over time: `$7` buckets of `$6` seconds from `$4` (up to
-- `$5`): visits entered in each, visits left in each by how (exited, errored), and the
-- node's messages by status at the time they were sent (or recorded, when never sent).
WITH b AS (
    SELECT k, $4::timestamptz + k * $6::float8 * interval '1 second' AS start
    FROM generate_series(0, $7::int - 1) k
), steps AS (
    SELECT floor(extract(epoch FROM t.at - $4::timestamptz) / $6::float8)::int AS k,
           count(*) FILTER (WHERE t.kind = 'in') AS entered,
           count(*) FILTER (WHERE t.kind = 'exited') AS exited,
           count(*) FILTER (WHERE t.kind = 'errored') AS errored
    FROM journey_steps s,
         LATERAL (VALUES ('in', s.entered_at), (s.outcome, s.left_at)) AS t(kind, at)
    WHERE s.journey_id = $1 AND s.version = $2 AND s.node_id = $3
      AND (s.entered_at < $5 AND (s.entered_at >= $4 OR s.left_at >= $4))
      AND t.at >= $4 AND t.at < $5
    GROUP BY 1
), sends AS (
    SELECT floor(extract(epoch FROM coalesce(sent_at, created_at) - $4::timestamptz)
                 / $6::float8)::int AS k,
           count(*) FILTER (WHERE status = 'sent') AS sent,
           count(*) FILTER (WHERE status = 'failed') AS failed,
           count(*) FILTER (WHERE status = 'skipped') AS skipped
    FROM messages
    WHERE journey_id = $1 AND version = $2 AND node_id = $3 AND NOT proof
      AND coalesce(sent_at, created_at) >= $4 AND coalesce(sent_at, created_at) < $5
    GROUP BY 1
)
SELECT b.start, coalesce(steps.entered, 0) AS entered, coalesce(steps.exited, 0) AS exited,
       coalesce(steps.errored, 0) AS errored, coalesce(sends.sent, 0) AS sent,
       coalesce(sends.failed, 0) AS failed, coalesce(sends.skipped, 0) AS skipped
FROM b LEFT JOIN steps USING (k) LEFT JOIN sends USING (k)
ORDER BY b.k

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

-- name: journey_in_flight
-- Runs at rest inside the journey now, by the version they are on: their open visits in the
-- step ledger, as the report's `waiting` counts them (architecture decision 21).
SELECT version, count(*) AS profiles
FROM journey_steps
WHERE journey_id = $1 AND left_at IS NULL
GROUP BY version
ORDER BY version

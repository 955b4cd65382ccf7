-- Journey runs that ended outside Wayline (`temporal workflow terminate`, a workflow failure,
-- an execution timeout) leave their ledger rows open: no activity of theirs ran to close them.
-- workers/reconciler.py finds such runs in Temporal visibility and closes the rows here.

-- name: close_entries_ended_outside
-- $1 workflow ids, $2 close times, $3 statuses, $4 reasons. Only rows entered before the close:
-- a profile that entered again since is in a newer run of the same workflow id.
UPDATE journey_entries e
SET ended_at = c.closed_at, status = c.status, reason = c.reason
FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[])
     AS c (workflow_id, closed_at, status, reason)
WHERE e.workflow_id = c.workflow_id AND e.ended_at IS NULL AND e.entered_at <= c.closed_at
RETURNING e.run_id, e.workflow_id, e.journey_id, e.status

-- name: close_steps_ended_outside
-- $1 entry runs, $2 their outcomes (as the step ledger names them), $3 the detail.
UPDATE journey_steps s
SET left_at = now(), outcome = c.outcome, detail = c.detail
FROM unnest($1::text[], $2::text[], $3::text[]) AS c (run_id, outcome, detail)
WHERE s.run_id = c.run_id AND s.left_at IS NULL

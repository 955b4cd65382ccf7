-- Journey approval (services/journey_approvals.py): who asked for the draft to be approved,
-- who approved it, and for which draft (`approval_draft_at` is its `draft_updated_at`).

-- name: read_journey_approval
-- The approval columns with the names of the keys involved (a deleted key leaves its id).
SELECT j.requires_approval, j.draft_updated_at, j.draft_updated_by,
       d.name AS draft_updated_by_name,
       j.approval_requested_by, r.name AS approval_requested_by_name, j.approval_requested_at,
       j.approved_by, a.name AS approved_by_name, j.approved_at, j.approval_draft_at
FROM journeys j
LEFT JOIN api_keys d ON d.id = j.draft_updated_by
LEFT JOIN api_keys r ON r.id = j.approval_requested_by
LEFT JOIN api_keys a ON a.id = j.approved_by
WHERE j.journey_id = $1

-- name: set_journey_approval_policy
UPDATE journeys SET requires_approval = $2, updated_at = now()
WHERE journey_id = $1
RETURNING journey_id

-- name: request_journey_approval
-- $2 asks for an approval of the draft written at $3.
UPDATE journeys SET approval_requested_by = $2, approval_requested_at = now(),
    approval_draft_at = $3
WHERE journey_id = $1

-- name: approve_journey
-- $2 approves the draft written at $3.
UPDATE journeys SET approved_by = $2, approved_at = now(), approval_draft_at = $3
WHERE journey_id = $1

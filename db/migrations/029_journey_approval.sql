-- Journey approval (issue 15): a journey may require a second user (an API key with the
-- `journeys:approve` scope, neither the one that last changed the draft nor the one that
-- asked) to approve its draft before it can be published. Any change to the draft
-- withdraws the request and the approval: the approver approved what they saw.
-- `approval_draft_at` is the `draft_updated_at` of the draft asked about or approved.

ALTER TABLE journeys
    ADD COLUMN requires_approval      boolean NOT NULL DEFAULT false,
    ADD COLUMN draft_updated_by       uuid,
    ADD COLUMN approval_requested_by  uuid,
    ADD COLUMN approval_requested_at  timestamptz,
    ADD COLUMN approved_by            uuid,
    ADD COLUMN approved_at            timestamptz,
    ADD COLUMN approval_draft_at      timestamptz;

-- "N still on older versions": the open visits of a journey, by version (decision 21), without
-- reading the visits already left.
CREATE INDEX journey_steps_open ON journey_steps (journey_id, version) WHERE left_at IS NULL;

-- Campaign approval: a campaign may require a second user (an API key with the
-- `campaigns:approve` scope, not the one that last changed it) to approve it before it
-- runs. Any change withdraws the approval.

ALTER TABLE campaigns
    ADD COLUMN requires_approval  boolean NOT NULL DEFAULT false,
    ADD COLUMN updated_by         uuid,
    ADD COLUMN approved_by        uuid,
    ADD COLUMN approved_at        timestamptz;

-- Orchestrated campaigns: {branches: [{name, weight | when, channel, template}],
-- follow_up: {unless: opened | clicked, wait, channel, template}}.
ALTER TABLE campaigns ADD COLUMN orchestration jsonb;
ALTER TABLE campaigns DROP CONSTRAINT campaigns_kind_check;
ALTER TABLE campaigns ADD CONSTRAINT campaigns_kind_check
    CHECK (kind IN ('action', 'triggered', 'orchestrated'));

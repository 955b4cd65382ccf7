-- Campaigns: brand-initiated sends to an audience (action campaigns now or on a schedule,
-- API-triggered ones). A run snapshots the audience into campaign_run_members at its start
-- and pages through that list by keyset on (run_id, seq); its messages carry the run so
-- progress is counted from the ledger and a retried batch finds the rows it wrote.

CREATE TABLE campaigns (
    campaign_id    text PRIMARY KEY,
    name           text NOT NULL,
    kind           text NOT NULL DEFAULT 'action' CHECK (kind IN ('action', 'triggered')),
    audience_id    text,
    channel        text NOT NULL,
    template       text NOT NULL,
    topic          text,
    transactional  boolean NOT NULL DEFAULT false,
    -- {cron, timezone, end_at}: a Temporal Schedule starts the runs (DESIGN.md decision 6)
    schedule       jsonb,
    -- {max_per_second, ramp_up: [daily limits]}, {local_time, default_timezone}
    delivery       jsonb NOT NULL DEFAULT '{}'::jsonb,
    status         text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'archived')),
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE campaign_runs (
    campaign_id  text NOT NULL REFERENCES campaigns (campaign_id) ON DELETE CASCADE,
    run_id       text NOT NULL,
    workflow_id  text NOT NULL,
    status       text NOT NULL DEFAULT 'starting'
                 CHECK (status IN ('starting', 'running', 'paused', 'completed', 'cancelled',
                                   'failed')),
    total        integer,
    started_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz,
    PRIMARY KEY (campaign_id, run_id)
);

-- The audience as it was when the run started; seq orders the sends (by due time when
-- profiles get the message in their local time, then by profile id).
CREATE TABLE campaign_run_members (
    campaign_id  text NOT NULL,
    run_id       text NOT NULL,
    seq          integer NOT NULL,
    profile_id   text NOT NULL,
    due_at       timestamptz,
    PRIMARY KEY (campaign_id, run_id, seq)
);

ALTER TABLE messages
    ADD COLUMN campaign_id   text,
    ADD COLUMN campaign_run  text;
CREATE INDEX messages_campaign_run ON messages (campaign_id, campaign_run)
    WHERE campaign_id IS NOT NULL;

-- The step ledger: one row per node visit of a journey run (workflows/journey.py buffers the
-- interpreter's trace and writes it with activities that run anyway, or in one local
-- activity when the journey comes to rest). The key (run, node, visit) is deterministic, so a
-- retried or replayed write meets its row; a row is written open (entered) and closed once.
CREATE TABLE journey_steps (
    run_id       text NOT NULL,
    node_id      text NOT NULL,
    visit        integer NOT NULL,
    workflow_id  text NOT NULL,
    journey_id   text NOT NULL,
    version      integer NOT NULL,
    profile_id   text NOT NULL,
    node_type    text NOT NULL,
    entered_at   timestamptz NOT NULL,
    seq          integer,
    left_at      timestamptz,
    outcome      text CHECK (outcome IN ('exited', 'exit_criteria', 'errored', 'timed_out')),
    detail       text,
    checks       jsonb NOT NULL DEFAULT '[]',
    recorded_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (run_id, node_id, visit)
);
CREATE INDEX journey_steps_report ON journey_steps (journey_id, version, node_id);
CREATE INDEX journey_steps_profile ON journey_steps (profile_id, journey_id, entered_at);

-- A send deferred by quiet hours is a ledger row at once ('deferred', reason quiet_hours,
-- deferred_until = when it will go); the send itself later supersedes the row.
ALTER TABLE messages ADD COLUMN deferred_until timestamptz;
ALTER TABLE messages DROP CONSTRAINT messages_status_check;
ALTER TABLE messages ADD CONSTRAINT messages_status_check
    CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'skipped', 'dry_run', 'deferred'));

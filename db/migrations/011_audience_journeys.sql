-- Audience-driven journeys.
--
-- A read-audience run (workflows/audience_fanout.py) copies the audience's members into
-- audience_run_members once, at its start, and pages through that snapshot: members who
-- join or leave while the run goes on neither shift the pages nor get skipped, and a
-- retried or resumed page reads the same rows. The snapshot is deleted when the run ends;
-- audience_runs keeps the figures.
CREATE TABLE audience_runs (
    run_key     text PRIMARY KEY,           -- the fan-out workflow id (one per scheduled run)
    journey_id  text NOT NULL,
    audience_id text NOT NULL,
    started_at  timestamptz NOT NULL DEFAULT now(),
    members     integer NOT NULL,
    signalled   integer NOT NULL DEFAULT 0,
    filtered    integer NOT NULL DEFAULT 0,
    status      text NOT NULL DEFAULT 'running'
                CHECK (status IN ('running', 'completed', 'stopped')),
    finished_at timestamptz
);
CREATE INDEX audience_runs_journey ON audience_runs (journey_id, started_at DESC);

CREATE TABLE audience_run_members (
    run_key    text NOT NULL REFERENCES audience_runs (run_key) ON DELETE CASCADE,
    profile_id text NOT NULL,
    PRIMARY KEY (run_key, profile_id)
);

-- The entry event of each run in the entry ledger: an entry event enters a journey at most
-- once, so a repeated signal-with-start (a retried fan-out page, a re-routed event, a
-- retried jump) that finds the first run already finished does not enter again.
ALTER TABLE journey_entries ADD COLUMN entry_event_id text;

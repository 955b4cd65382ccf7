-- A per-entity campaign run's progress in members (issue 17.4): its ledger counts messages
-- (several per member, none for a member without a matching record), so `remaining` counts
-- members against the batches that finished. One row per finished batch of the main phase,
-- written once (a retried batch finds it).
CREATE TABLE campaign_run_batches (
    campaign_id text NOT NULL,
    run_id text NOT NULL,
    first_seq integer NOT NULL,
    members integer NOT NULL CHECK (members >= 0),
    finished_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (campaign_id, run_id, first_seq)
);

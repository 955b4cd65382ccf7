-- A campaign run with send-time optimisation: each member's group (sent at its chosen hour,
-- or held out and sent at once), written with the snapshot and copied to its message row.
ALTER TABLE campaign_run_members
    ADD COLUMN send_time text CHECK (send_time IN ('optimised', 'holdout'));

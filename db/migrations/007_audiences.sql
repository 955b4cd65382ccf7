-- Audiences: a rule tree over profile attributes and event history, with membership
-- materialized so journeys, campaigns and expressions read it without evaluating rules.
-- The current members are in audience_members; every change is in audience_changes,
-- which gives enter/exit times and lets campaigns snapshot a stable list.

CREATE TABLE audiences (
    audience_id   text PRIMARY KEY,
    name          text NOT NULL,
    description   text,
    definition    jsonb NOT NULL,
    -- true when a rule compares with `now` (relative dates, "in the last D days"):
    -- such audiences are also re-evaluated in full on a schedule.
    time_relative boolean NOT NULL DEFAULT false,
    status        text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'archived')),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    evaluated_at  timestamptz
);

CREATE TABLE audience_members (
    audience_id text NOT NULL REFERENCES audiences (audience_id) ON DELETE CASCADE,
    profile_id  text NOT NULL,
    entered_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (audience_id, profile_id)
);
CREATE INDEX audience_members_profile ON audience_members (profile_id);

CREATE TABLE audience_changes (
    id          bigserial PRIMARY KEY,
    audience_id text NOT NULL REFERENCES audiences (audience_id) ON DELETE CASCADE,
    profile_id  text NOT NULL,
    change      text NOT NULL CHECK (change IN ('entered', 'exited')),
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audience_changes_profile ON audience_changes (profile_id, at);
CREATE INDEX audience_changes_audience ON audience_changes (audience_id, at);

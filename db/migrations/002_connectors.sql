-- Custom HTTP actions and external data sources (resources), and the ledgers of what
-- journeys did with them: action calls, experiment assignments, profile updates.

CREATE TABLE actions (
    name        text PRIMARY KEY,
    spec        jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE data_sources (
    name        text PRIMARY KEY,
    spec        jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- One row per action or fetch call of a journey node; call_id is deterministic like a
-- message id, so a retried activity finds its row and the provider gets the same key.
CREATE TABLE action_calls (
    call_id      text PRIMARY KEY,
    kind         text NOT NULL CHECK (kind IN ('action', 'fetch')),
    name         text NOT NULL,
    profile_id   text NOT NULL,
    journey_id   text,
    version      integer,
    node_id      text,
    status       text NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed', 'dry_run')),
    request      jsonb,
    response     jsonb,
    error        text,
    attempts     integer NOT NULL DEFAULT 0,
    created_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz
);
CREATE INDEX action_calls_journey ON action_calls (journey_id, node_id, created_at);
CREATE INDEX action_calls_profile ON action_calls (profile_id, created_at DESC);

CREATE TABLE experiment_assignments (
    run_id       text NOT NULL,
    node_id      text NOT NULL,
    journey_id   text NOT NULL,
    version      integer NOT NULL,
    profile_id   text NOT NULL,
    variant      text NOT NULL,
    assigned_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (run_id, node_id)
);
CREATE INDEX experiment_assignments_journey ON experiment_assignments (journey_id, node_id, variant);

-- An update_profile step applies once even if its activity is retried.
CREATE TABLE profile_updates (
    update_id   text PRIMARY KEY,
    profile_id  text NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now()
);

-- Wayline initial schema: resources (keys, profiles, templates, journeys),
-- the event outbox and the ledgers (entries, messages).

CREATE TABLE api_keys (
    id          uuid PRIMARY KEY,
    name        text NOT NULL,
    prefix      text NOT NULL,
    key_hash    text NOT NULL UNIQUE,
    scopes      text[] NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz
);

CREATE TABLE profiles (
    profile_id  text PRIMARY KEY,
    email       text,
    phone       text,
    timezone    text,
    attributes  jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE templates (
    name        text PRIMARY KEY,
    channel     text NOT NULL,
    subject     text,
    body        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE journeys (
    journey_id        text PRIMARY KEY,
    name              text NOT NULL,
    draft             jsonb,
    draft_updated_at  timestamptz,
    status            text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'live', 'stopped')),
    live_version      integer,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE journey_versions (
    journey_id    text NOT NULL REFERENCES journeys (journey_id),
    version       integer NOT NULL,
    definition    jsonb NOT NULL,
    published_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (journey_id, version)
);

-- The event ledger and outbox: an event is acknowledged once its row commits.
CREATE TABLE events (
    id             bigserial PRIMARY KEY,
    event_id       text NOT NULL UNIQUE,
    name           text NOT NULL,
    profile_id     text NOT NULL,
    ts             timestamptz NOT NULL,
    properties     jsonb NOT NULL DEFAULT '{}'::jsonb,
    received_at    timestamptz NOT NULL DEFAULT now(),
    dispatched_at  timestamptz
);
CREATE INDEX events_pending ON events (profile_id, id) WHERE dispatched_at IS NULL;
CREATE INDEX events_profile ON events (profile_id, id);

-- One row per profile with events to route. `seq` changes on every new event
-- so a dispatcher only deletes the row if nothing arrived while it worked.
CREATE SEQUENCE dispatch_seq;
CREATE TABLE dispatch_queue (
    profile_id    text PRIMARY KEY,
    seq           bigint NOT NULL DEFAULT nextval('dispatch_seq'),
    leased_until  timestamptz NOT NULL DEFAULT '-infinity'
);
CREATE INDEX dispatch_queue_ready ON dispatch_queue (leased_until, seq);

-- Entry ledger: one row per journey run (stable across continue-as-new).
CREATE TABLE journey_entries (
    run_id        text PRIMARY KEY,
    workflow_id   text NOT NULL,
    journey_id    text NOT NULL,
    version       integer NOT NULL,
    profile_id    text NOT NULL,
    entered_at    timestamptz NOT NULL,
    ended_at      timestamptz,
    status        text NOT NULL DEFAULT 'active',
    reason        text
);
CREATE INDEX journey_entries_profile ON journey_entries (profile_id, journey_id, entered_at DESC);
CREATE INDEX journey_entries_journey ON journey_entries (journey_id, version, status);

-- Message ledger: the deterministic message_id makes sends idempotent.
CREATE TABLE messages (
    message_id   text PRIMARY KEY,
    profile_id   text NOT NULL,
    journey_id   text,
    version      integer,
    node_id      text,
    workflow_id  text,
    channel      text NOT NULL,
    template     text NOT NULL,
    status       text NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'skipped')),
    recipient    text,
    subject      text,
    body         text,
    error        text,
    attempts     integer NOT NULL DEFAULT 0,
    created_at   timestamptz NOT NULL DEFAULT now(),
    sent_at      timestamptz
);
CREATE INDEX messages_profile ON messages (profile_id, created_at DESC);
CREATE INDEX messages_journey ON messages (journey_id, created_at DESC);

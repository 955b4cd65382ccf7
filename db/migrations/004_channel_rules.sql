-- Rules every send obeys (activities/rules.py): consent per channel and topic, the
-- suppression list and frequency caps; templates say whether they are marketing, and the
-- message ledger records why a send was skipped.

ALTER TABLE templates
    ADD COLUMN topic          text,
    ADD COLUMN transactional  boolean NOT NULL DEFAULT false,
    ADD COLUMN html           text;

ALTER TABLE messages
    ADD COLUMN reason         text,
    ADD COLUMN transactional  boolean NOT NULL DEFAULT false;
-- Frequency caps count a profile's recent marketing messages on one channel.
CREATE INDEX messages_capping ON messages (profile_id, channel, created_at)
    WHERE NOT transactional AND status IN ('sending', 'sent');

-- Consent: no row means subscribed; topic NULL is the whole channel.
CREATE TABLE subscriptions (
    profile_id  text NOT NULL,
    channel     text NOT NULL,
    topic       text,
    status      text NOT NULL CHECK (status IN ('subscribed', 'unsubscribed')),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE NULLS NOT DISTINCT (profile_id, channel, topic)
);

-- Addresses never sent to, transactional messages included (addresses stored lower-case).
CREATE TABLE suppressions (
    channel     text NOT NULL,
    address     text NOT NULL,
    reason      text NOT NULL CHECK (reason IN ('hard_bounce', 'complaint', 'manual')),
    note        text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (channel, address)
);

-- At most max_messages marketing messages per channel per period per profile.
CREATE TABLE frequency_caps (
    channel       text PRIMARY KEY,
    max_messages  integer NOT NULL CHECK (max_messages >= 0),
    period        interval NOT NULL,
    updated_at    timestamptz NOT NULL DEFAULT now()
);

-- Identity and erasure (issue 5, profiles and ingestion).
-- profile_aliases: an id (a Segment anonymousId, an aliased previousId) that now means
-- another profile; ingest resolves it so later events land on the known profile. Kept
-- flat: an alias always names a profile that is not itself an alias.
CREATE TABLE profile_aliases (
    alias_id    text PRIMARY KEY,
    profile_id  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX profile_aliases_profile ON profile_aliases (profile_id);

-- The record that an erasure happened, without personal data: the profile id only as a
-- SHA-256 (answers "was X erased?" for whoever already knows X), who asked and the counts.
CREATE TABLE profile_erasures (
    id            bigserial PRIMARY KEY,
    profile_hash  text NOT NULL,
    erased_at     timestamptz NOT NULL DEFAULT now(),
    key_id        uuid,
    key_name      text,
    counts        jsonb NOT NULL
);
CREATE INDEX profile_erasures_hash ON profile_erasures (profile_hash);

-- An erased message keeps its ledger row as a tombstone (ids, status, timestamps).
ALTER TABLE messages ADD COLUMN erased_at timestamptz;

-- The profile timeline reads a profile's events in event-time order.
CREATE INDEX events_profile_ts ON events (profile_id, ts, id);

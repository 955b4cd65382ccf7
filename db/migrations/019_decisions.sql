-- Decisioning (architecture decision 14): placements, offers, decision policies, and what
-- deciding leaves behind. Caps are counters rows taken by a conditional upsert in the
-- transaction that records the proposition; the bandit's state and the report's figures are
-- one row per (policy, offer), updated by propose and by the offer events that arrive
-- through the ordinary ingest.

CREATE TABLE placements (
    placement_id  text PRIMARY KEY,
    name          text NOT NULL,
    channel       text NOT NULL,
    content_type  text NOT NULL CHECK (content_type IN ('text', 'html', 'json', 'image_url')),
    description   text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

-- `definition`: the validated offer (decisions/model.py OfferSpec). The cap columns are
-- derived from it when saved, so the ingest's SQL can count displayed/clicked events.
CREATE TABLE offers (
    offer_id          text PRIMARY KEY,
    definition        jsonb NOT NULL,
    cap_on            text NOT NULL DEFAULT 'proposed'
                      CHECK (cap_on IN ('proposed', 'displayed', 'clicked')),
    profile_cap       integer,
    profile_period_s  bigint,
    total_cap         integer,
    total_period_s    bigint,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE decision_policies (
    policy_id   text PRIMARY KEY,
    definition  jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- One number that every catalog write moves: a process caches the parsed catalog and
-- reloads it only when the number changed.
CREATE TABLE decision_catalog (
    only_row  boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    version   bigint NOT NULL
);
INSERT INTO decision_catalog VALUES (true, 1);

CREATE FUNCTION bump_decision_catalog() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE decision_catalog SET version = version + 1;
    RETURN NULL;
END $$;

CREATE TRIGGER placements_catalog AFTER INSERT OR UPDATE OR DELETE ON placements
    FOR EACH STATEMENT EXECUTE FUNCTION bump_decision_catalog();
CREATE TRIGGER offers_catalog AFTER INSERT OR UPDATE OR DELETE ON offers
    FOR EACH STATEMENT EXECUTE FUNCTION bump_decision_catalog();
CREATE TRIGGER decision_policies_catalog AFTER INSERT OR UPDATE OR DELETE ON decision_policies
    FOR EACH STATEMENT EXECUTE FUNCTION bump_decision_catalog();

-- A cap's counter: scope '' is the offer's total, otherwise a profile id; window_start is the
-- first second (epoch) of the period's window, 0 for a cap without a period.
CREATE TABLE offer_counters (
    offer_id      text NOT NULL,
    scope         text NOT NULL,
    window_start  bigint NOT NULL,
    count         integer NOT NULL,
    PRIMARY KEY (offer_id, scope, window_start)
);

-- Every proposition: `offers` is [{offer_id, placement, score, reason}], in rank order.
CREATE TABLE propositions (
    proposition_id  text PRIMARY KEY,
    policy_id       text NOT NULL,
    request_id      text NOT NULL,
    profile_id      text NOT NULL,
    offers          jsonb NOT NULL,
    fallback        boolean NOT NULL,
    cap_hits        text[] NOT NULL DEFAULT '{}',
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (policy_id, request_id)
);
CREATE INDEX propositions_policy ON propositions (policy_id, created_at);

-- Offer events joined to their proposition (deduplicated: one per kind and offer).
CREATE TABLE proposition_events (
    proposition_id  text NOT NULL,
    offer_id        text NOT NULL,
    name            text NOT NULL,
    event_id        text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (proposition_id, offer_id, name)
);

-- The bandit's state and the report's counts, one row per (policy, offer).
CREATE TABLE decision_offer_stats (
    policy_id     text NOT NULL,
    offer_id      text NOT NULL,
    propositions  bigint NOT NULL DEFAULT 0,
    goals         bigint NOT NULL DEFAULT 0,
    cap_hits      bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (policy_id, offer_id)
);

-- Decisioning (services/decisions.py, services/decision_catalog.py; migration 019).

-- name: put_placement
INSERT INTO placements (placement_id, name, channel, content_type, description)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (placement_id) DO UPDATE SET
    name = EXCLUDED.name, channel = EXCLUDED.channel, content_type = EXCLUDED.content_type,
    description = EXCLUDED.description, updated_at = now()
RETURNING placement_id, name, channel, content_type, description, created_at, updated_at,
    (xmax = 0) AS created

-- name: read_placement
SELECT placement_id, name, channel, content_type, description, created_at, updated_at
FROM placements WHERE placement_id = $1

-- name: list_placements
SELECT placement_id, name, channel, content_type, description, created_at, updated_at
FROM placements ORDER BY placement_id

-- name: placement_users
-- Offers with a representation for the placement, and policies deciding for it.
SELECT 'offer' AS kind, offer_id AS id FROM offers WHERE definition->'representations' ? $1
UNION ALL
SELECT 'decision', policy_id FROM decision_policies WHERE definition->'placements' ? $1
ORDER BY 1, 2

-- name: delete_placement
DELETE FROM placements WHERE placement_id = $1 RETURNING placement_id

-- name: put_offer
INSERT INTO offers (offer_id, definition, cap_on, profile_cap, profile_period_s, total_cap,
                    total_period_s)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (offer_id) DO UPDATE SET
    definition = EXCLUDED.definition, cap_on = EXCLUDED.cap_on,
    profile_cap = EXCLUDED.profile_cap, profile_period_s = EXCLUDED.profile_period_s,
    total_cap = EXCLUDED.total_cap, total_period_s = EXCLUDED.total_period_s,
    updated_at = now()
RETURNING offer_id, definition, created_at, updated_at, (xmax = 0) AS created

-- name: read_offer
SELECT offer_id, definition, created_at, updated_at FROM offers WHERE offer_id = $1

-- name: list_offers
SELECT offer_id, definition, created_at, updated_at FROM offers ORDER BY offer_id

-- name: offer_users
-- Policies naming the offer as a candidate or as their fallback.
SELECT policy_id FROM decision_policies
WHERE definition->'candidates'->'offers' ? $1 OR definition->>'fallback' = $1
ORDER BY policy_id

-- name: delete_offer
DELETE FROM offers WHERE offer_id = $1 RETURNING offer_id

-- name: put_decision_policy
INSERT INTO decision_policies (policy_id, definition) VALUES ($1, $2)
ON CONFLICT (policy_id) DO UPDATE SET definition = EXCLUDED.definition, updated_at = now()
RETURNING policy_id, definition, created_at, updated_at, (xmax = 0) AS created

-- name: read_decision_policy
SELECT policy_id, definition, created_at, updated_at FROM decision_policies
WHERE policy_id = $1

-- name: list_decision_policies
SELECT policy_id, definition, created_at, updated_at FROM decision_policies
ORDER BY policy_id

-- name: delete_decision_policy
DELETE FROM decision_policies WHERE policy_id = $1 RETURNING policy_id

-- name: decision_inputs
-- One round trip per decision: the catalog's version, the profile (NULLs if unknown) and
-- its own cap counters, column by column (take_caps_and_propose checks them again).
SELECT v.version, p.profile_id, p.email, p.phone, p.timezone, p.attributes,
    ARRAY(SELECT m.audience_id FROM audience_members m
          WHERE m.profile_id = p.profile_id ORDER BY 1) AS audiences,
    c.offer_ids, c.window_starts, c.counts
FROM decision_catalog v
LEFT JOIN profiles p ON p.profile_id = $1
CROSS JOIN LATERAL (
    SELECT array_agg(offer_id) AS offer_ids, array_agg(window_start) AS window_starts,
        array_agg(count) AS counts
    FROM offer_counters WHERE scope = $1 AND scope <> ''
) c

-- name: catalog_placements
SELECT placement_id, name, channel, content_type, description FROM placements

-- name: catalog_offers
SELECT offer_id, definition FROM offers

-- name: catalog_policies
SELECT policy_id, definition FROM decision_policies

-- name: read_proposition
SELECT proposition_id, policy_id, request_id, profile_id, offers, fallback, cap_hits,
    created_at
FROM propositions WHERE policy_id = $1 AND request_id = $2

-- name: take_caps_and_propose
-- Migration 037: the planned caps checked and taken, and the proposition recorded, in one
-- call; see there for what lost and exhausted say.
SELECT lost, exhausted FROM take_caps_and_propose($1, $2, $3, $4, $5, $6, $7, $8, $9, $10,
    $11, $12, $13, $14, $15, $16)

-- name: decision_arms
-- The bandit's rows of the policy, their shards summed.
SELECT offer_id, sum(propositions) AS propositions, sum(goals) AS goals
FROM decision_offer_stats WHERE policy_id = $1 GROUP BY offer_id

-- name: record_offer_events
-- New events naming a proposition_id and an offer_id of that proposition: recorded once per
-- (proposition, offer, name); a policy's goal event adds to its bandit row; offer.displayed
-- and offer.clicked count toward the caps of offers counted on them.
WITH candidate AS (
    SELECT e.event_id, e.name, e.properties->>'proposition_id' AS proposition_id,
        e.properties->>'offer_id' AS offer_id
    FROM events e
    WHERE e.event_id = ANY($1::text[])
      AND e.properties ? 'proposition_id' AND e.properties ? 'offer_id'
), matched AS (
    SELECT c.*, p.policy_id, p.profile_id
    FROM candidate c
    JOIN propositions p ON p.proposition_id = c.proposition_id
    WHERE p.offers @> jsonb_build_array(jsonb_build_object('offer_id', c.offer_id))
), recorded AS (
    INSERT INTO proposition_events (proposition_id, offer_id, name, event_id)
    SELECT DISTINCT ON (proposition_id, offer_id, name) proposition_id, offer_id, name,
        event_id
    FROM matched
    ORDER BY proposition_id, offer_id, name, event_id
    ON CONFLICT DO NOTHING
    RETURNING proposition_id, offer_id, name
), fresh AS (
    SELECT r.offer_id, r.name, m.policy_id, m.profile_id
    FROM recorded r
    JOIN (SELECT DISTINCT proposition_id, offer_id, name, policy_id, profile_id FROM matched) m
      USING (proposition_id, offer_id, name)
), goals AS (
    INSERT INTO decision_offer_stats AS s (policy_id, offer_id, shard, goals)
    SELECT f.policy_id, f.offer_id, 0, count(*)
    FROM fresh f JOIN decision_policies d ON d.policy_id = f.policy_id
    WHERE d.definition->'goal_events' ? f.name
    GROUP BY 1, 2
    ORDER BY 1, 2
    ON CONFLICT (policy_id, offer_id, shard) DO UPDATE SET goals = s.goals + EXCLUDED.goals
    RETURNING 1
), cap_rows AS (
    SELECT f.offer_id, k.scope, k.seconds
    FROM fresh f
    JOIN offers o ON o.offer_id = f.offer_id AND f.name = 'offer.' || o.cap_on
    CROSS JOIN LATERAL (VALUES (f.profile_id, o.profile_cap, o.profile_period_s),
                               ('', o.total_cap, o.total_period_s)) AS k(scope, cap, seconds)
    WHERE k.cap IS NOT NULL
), counted AS (
    INSERT INTO offer_counters AS c (offer_id, scope, window_start, shard, count)
    SELECT offer_id, scope, window_start, 0, count(*)
    FROM (SELECT offer_id, scope,
                 CASE WHEN seconds IS NULL THEN 0
                      ELSE (extract(epoch FROM now())::bigint / seconds) * seconds END
                     AS window_start
          FROM cap_rows) w
    GROUP BY 1, 2, 3
    ON CONFLICT (offer_id, scope, window_start, shard) DO UPDATE SET count = c.count + EXCLUDED.count
    RETURNING 1
)
SELECT (SELECT count(*) FROM recorded) AS recorded, (SELECT count(*) FROM goals) AS goals,
    (SELECT count(*) FROM counted) AS counted

-- name: decision_report
-- Per candidate offer of the policy: the bandit row (its shards summed) and the offer events
-- joined by tracking.
SELECT s.offer_id, s.propositions, s.goals, s.cap_hits,
    (SELECT count(*) FROM proposition_events e JOIN propositions p USING (proposition_id)
     WHERE p.policy_id = s.policy_id AND e.offer_id = s.offer_id
       AND e.name = 'offer.displayed') AS impressions,
    (SELECT count(*) FROM proposition_events e JOIN propositions p USING (proposition_id)
     WHERE p.policy_id = s.policy_id AND e.offer_id = s.offer_id
       AND e.name = 'offer.clicked') AS clicks,
    (SELECT count(*) FROM proposition_events e JOIN propositions p USING (proposition_id)
     WHERE p.policy_id = s.policy_id AND e.offer_id = s.offer_id
       AND e.name = 'offer.converted') AS conversions
FROM (SELECT policy_id, offer_id, sum(propositions) AS propositions, sum(goals) AS goals,
             sum(cap_hits) AS cap_hits
      FROM decision_offer_stats WHERE policy_id = $1 GROUP BY policy_id, offer_id) s
ORDER BY s.offer_id

-- name: decision_totals
SELECT count(*) AS propositions, count(*) FILTER (WHERE fallback) AS fallbacks
FROM propositions WHERE policy_id = $1

-- Sharded hot rows of decisioning. Every decision for a popular offer took the same two rows
-- (its total cap counter and its bandit row) and held them until its commit was flushed, so
-- decisions queued on them one at a time. A total cap now counts in shards, each allowed
-- its share of the limit (escrow: the shares add up to the limit, so the total never passes
-- it); a bandit row is kept per shard and read as their sum. Existing rows are shard 0.
ALTER TABLE offer_counters ADD COLUMN shard smallint NOT NULL DEFAULT 0;
ALTER TABLE offer_counters DROP CONSTRAINT offer_counters_pkey;
ALTER TABLE offer_counters ADD PRIMARY KEY (offer_id, scope, window_start, shard);

ALTER TABLE decision_offer_stats ADD COLUMN shard smallint NOT NULL DEFAULT 0;
ALTER TABLE decision_offer_stats DROP CONSTRAINT decision_offer_stats_pkey;
ALTER TABLE decision_offer_stats ADD PRIMARY KEY (policy_id, offer_id, shard);

-- A total counted before: spread over the 16 shards as the shares are (shard s gets
-- count / 16, one more while s < count % 16), so no shard holds more than its share of a
-- limit the count had not passed (decisions.caps.SHARDS is 16).
INSERT INTO offer_counters (offer_id, scope, window_start, shard, count)
SELECT c.offer_id, c.scope, c.window_start, s, c.count / 16 + (s < c.count % 16)::int
FROM offer_counters c CROSS JOIN generate_series(1, 15) AS s
WHERE c.scope = '' AND c.shard = 0 AND c.count / 16 + (s < c.count % 16)::int > 0;
UPDATE offer_counters SET count = count / 16 + (0 < count % 16)::int
WHERE scope = '' AND shard = 0;

-- A decision in two round trips (services/decisions.py): its inputs (decision_inputs, which
-- now carries the profile's own cap counters), then this one call, which checks and takes
-- the planned offers' caps and records the proposition and its (policy, offer) rows. It
-- replaces one round trip per counter read and taken, BEGIN and COMMIT (bench/README.md).
--
-- c_* are the planned offers' counters, sorted (offer, scope, window) by the caller: the one
-- order every decision takes them, so two decisions never wait on each other in a cycle.
-- A total, and a counter counted by events, must have room summed over its shards (a shard
-- may hold more than its share after a limit was lowered, or counted by events in shard 0);
-- a profile's row taken needs no read: its conditional upsert is the check. One with c_take
-- (a cap counted on `proposed`) is then taken: a profile's row, or the first of a total's
-- shards from p_shard on still below its share (the split of decisions.caps.share, p_shards
-- rows).
--
-- lost: NULL when the request was recorded before (nothing taken); '{}' when the proposition
-- is recorded; else the offers without room, every counter taken given back and nothing
-- recorded, so the caller plans again without them. exhausted: the lost offers whose total
-- was full; a total only grows in its window, so the caller may remember that.
-- A concurrent twin of the request fails on the unique key, and the call is rolled back.
CREATE FUNCTION take_caps_and_propose(
    p_proposition_id text, p_policy_id text, p_request_id text, p_profile_id text,
    p_offers jsonb, p_fallback boolean, p_cap_hits text[], p_created_at timestamptz,
    p_proposed text[], p_shard smallint, p_shards smallint,
    c_offer text[], c_scope text[], c_window bigint[], c_limit integer[], c_take boolean[],
    OUT lost text[], OUT exhausted text[]
) LANGUAGE plpgsql AS $$
DECLARE
    t_offer text[] := '{}';
    t_scope text[] := '{}';
    t_window bigint[] := '{}';
    t_shard smallint[] := '{}';
    summed bigint;
    part integer;
    got integer;
    s smallint;
BEGIN
    lost := '{}';
    exhausted := '{}';
    IF EXISTS (SELECT 1 FROM propositions
               WHERE policy_id = p_policy_id AND request_id = p_request_id) THEN
        lost := NULL;
        RETURN;
    END IF;
    FOR i IN 1 .. coalesce(array_length(c_offer, 1), 0) LOOP
        CONTINUE WHEN c_offer[i] = ANY (lost);
        got := NULL;
        summed := 0;
        IF c_scope[i] = '' OR NOT c_take[i] THEN
            SELECT coalesce(sum(count), 0) INTO summed FROM offer_counters
            WHERE offer_id = c_offer[i] AND scope = c_scope[i] AND window_start = c_window[i];
        END IF;
        IF summed < c_limit[i] AND NOT c_take[i] THEN
            CONTINUE;
        ELSIF summed < c_limit[i] THEN
            FOR k IN 0 .. CASE WHEN c_scope[i] = '' THEN p_shards - 1 ELSE 0 END LOOP
                s := CASE WHEN c_scope[i] = '' THEN (p_shard + k) % p_shards ELSE 0 END;
                part := CASE WHEN c_scope[i] = ''
                             THEN c_limit[i] / p_shards + (s < c_limit[i] % p_shards)::int
                             ELSE c_limit[i] END;
                CONTINUE WHEN part = 0;
                INSERT INTO offer_counters AS c (offer_id, scope, window_start, shard, count)
                VALUES (c_offer[i], c_scope[i], c_window[i], s, 1)
                ON CONFLICT (offer_id, scope, window_start, shard)
                DO UPDATE SET count = c.count + 1 WHERE c.count < part
                RETURNING c.count INTO got;
                IF got IS NOT NULL THEN
                    t_offer := t_offer || c_offer[i];
                    t_scope := t_scope || c_scope[i];
                    t_window := t_window || c_window[i];
                    t_shard := t_shard || s;
                    EXIT;
                END IF;
            END LOOP;
        END IF;
        IF got IS NULL THEN
            lost := lost || c_offer[i];
            IF c_scope[i] = '' THEN
                exhausted := exhausted || c_offer[i];
            END IF;
        END IF;
    END LOOP;
    IF cardinality(lost) > 0 THEN
        FOR j IN 1 .. cardinality(t_offer) LOOP
            UPDATE offer_counters SET count = count - 1
            WHERE offer_id = t_offer[j] AND scope = t_scope[j] AND window_start = t_window[j]
              AND shard = t_shard[j];
        END LOOP;
        RETURN;
    END IF;
    INSERT INTO propositions (proposition_id, policy_id, request_id, profile_id, offers,
                              fallback, cap_hits, created_at)
    VALUES (p_proposition_id, p_policy_id, p_request_id, p_profile_id, p_offers, p_fallback,
            p_cap_hits, p_created_at);
    INSERT INTO decision_offer_stats AS st (policy_id, offer_id, shard, propositions, cap_hits)
    SELECT p_policy_id, offer_id, p_shard, sum(proposed), sum(capped)
    FROM (SELECT unnest(p_proposed) AS offer_id, 1 AS proposed, 0 AS capped
          UNION ALL SELECT unnest(p_cap_hits), 0, 1) AS t
    GROUP BY offer_id
    ORDER BY offer_id
    ON CONFLICT (policy_id, offer_id, shard) DO UPDATE SET
        propositions = st.propositions + EXCLUDED.propositions,
        cap_hits = st.cap_hits + EXCLUDED.cap_hits;
END
$$;

-- A profile's own counters, read with its profile before a decision plans (decision_inputs).
CREATE INDEX offer_counters_profile ON offer_counters (scope) WHERE scope <> '';

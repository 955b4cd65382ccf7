-- Subscriptions, suppressions and frequency caps as the API manages them.

-- name: list_subscriptions
SELECT profile_id, channel, topic, status, updated_at FROM subscriptions
WHERE profile_id = $1
ORDER BY channel, topic NULLS FIRST

-- name: put_suppression
INSERT INTO suppressions (channel, address, reason, note)
VALUES ($1, lower($2::text), $3, $4)
ON CONFLICT (channel, address) DO UPDATE SET reason = EXCLUDED.reason, note = EXCLUDED.note
RETURNING channel, address, reason, note, created_at, (xmax = 0) AS created

-- name: list_suppressions
SELECT channel, address, reason, note, created_at FROM suppressions
WHERE ($1::text IS NULL OR channel = $1)
  AND ($2::text IS NULL OR address = lower($2::text))
ORDER BY channel, address
LIMIT $3

-- name: delete_suppression
DELETE FROM suppressions WHERE channel = $1 AND address = lower($2::text) RETURNING address

-- name: put_frequency_cap
INSERT INTO frequency_caps (channel, max_messages, period)
VALUES ($1, $2, $3)
ON CONFLICT (channel) DO UPDATE SET
    max_messages = EXCLUDED.max_messages, period = EXCLUDED.period, updated_at = now()
RETURNING channel, max_messages, period, updated_at, (xmax = 0) AS created

-- name: list_frequency_caps
SELECT channel, max_messages, period, updated_at FROM frequency_caps ORDER BY channel

-- name: read_frequency_cap
SELECT channel, max_messages, period, updated_at FROM frequency_caps WHERE channel = $1

-- name: delete_frequency_cap
DELETE FROM frequency_caps WHERE channel = $1 RETURNING channel

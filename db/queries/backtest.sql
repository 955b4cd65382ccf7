-- Backtest (services/backtest.py): the stored events of a window and what the send rules
-- read, streamed per profile.

-- name: backtest_events
-- $1 window start, $2 window end, $3 event names the journey enters on or listens to.
-- Ordered per profile, then by time: the replay takes one profile's events at a time.
SELECT event_id, name, profile_id, ts, properties
FROM events
WHERE ts >= $1 AND ts < $2 AND name = ANY($3::text[])
ORDER BY profile_id, ts, id

-- name: backtest_profiles
-- $1 profile ids. Today's profiles (the backtest's documented approximation).
SELECT profile_id, email, phone, timezone, attributes,
    ARRAY(SELECT m.audience_id FROM audience_members m
          WHERE m.profile_id = p.profile_id ORDER BY 1) AS audiences
FROM profiles p WHERE profile_id = ANY($1::text[])

-- name: backtest_unsubscribed
-- $1 profile ids: their channel (topic NULL) and topic opt-outs.
SELECT profile_id, channel, topic FROM subscriptions
WHERE profile_id = ANY($1::text[]) AND status = 'unsubscribed'

-- name: backtest_suppressed
-- $1 profile ids: suppressed addresses of theirs, by channel.
SELECT p.profile_id, x.channel, x.reason
FROM profiles p
JOIN suppressions x ON x.address IN (lower(p.email), lower(p.phone))
WHERE p.profile_id = ANY($1::text[])

-- name: backtest_templates
-- What the send rules read of every template.
SELECT name, channel, topic, transactional FROM templates

-- name: backtest_caps
SELECT channel, max_messages, period FROM frequency_caps

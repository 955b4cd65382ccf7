-- The rules every send obeys (activities/rules.py), read and applied in one transaction.

-- name: get_send_template
SELECT name, channel, subject, body, html, topic, transactional FROM templates WHERE name = $1

-- name: lock_profile_channel
-- Serialises the cap check and the ledger insert of one profile on one channel, so two
-- parallel journeys cannot both pass a frequency cap.
SELECT pg_advisory_xact_lock(hashtext($1::text || '/' || $2::text))

-- name: send_facts
-- $1 message id, $2 profile, $3 channel, $4 topic, $5 recipient address.
SELECT
    (SELECT status FROM messages WHERE message_id = $1 AND status <> 'deferred') AS existing,
    EXISTS (SELECT 1 FROM subscriptions s
            WHERE s.profile_id = $2 AND s.channel = $3 AND s.topic IS NULL
              AND s.status = 'unsubscribed') AS channel_unsubscribed,
    ($4::text IS NOT NULL AND EXISTS (
        SELECT 1 FROM subscriptions s
        WHERE s.profile_id = $2 AND s.channel = $3 AND s.topic = $4::text
          AND s.status = 'unsubscribed')) AS topic_unsubscribed,
    (SELECT x.reason FROM suppressions x
     WHERE x.channel = $3 AND x.address = lower($5::text)) AS suppressed,
    c.max_messages AS cap_max,
    c.period AS cap_period,
    (SELECT count(*) FROM messages m
     WHERE c.channel IS NOT NULL AND m.profile_id = $2 AND m.channel = $3
       AND NOT m.transactional AND m.status IN ('sending', 'sent')
       AND m.created_at > now() - c.period) AS cap_used
FROM (SELECT 1) AS one
LEFT JOIN frequency_caps c ON c.channel = $3

-- name: claim_ruled_message
-- Like claim_message, with the rule outcome: a skipped send is recorded with its reason. A
-- 'deferred' row (quiet hours) is superseded by the send; `inserted` is true then too.
INSERT INTO messages (message_id, profile_id, journey_id, version, node_id, workflow_id, channel,
                      template, status, recipient, subject, body, attempts, reason,
                      transactional)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 1, $13, $14)
ON CONFLICT (message_id) DO UPDATE SET
    attempts = CASE WHEN messages.status = 'deferred' THEN 1 ELSE messages.attempts + 1 END,
    status = CASE WHEN messages.status = 'deferred' THEN EXCLUDED.status ELSE messages.status END,
    recipient = CASE WHEN messages.status = 'deferred' THEN EXCLUDED.recipient
                     ELSE messages.recipient END,
    subject = CASE WHEN messages.status = 'deferred' THEN EXCLUDED.subject
                   ELSE messages.subject END,
    body = CASE WHEN messages.status = 'deferred' THEN EXCLUDED.body ELSE messages.body END,
    reason = CASE WHEN messages.status = 'deferred' THEN EXCLUDED.reason ELSE messages.reason END,
    transactional = CASE WHEN messages.status = 'deferred' THEN EXCLUDED.transactional
                         ELSE messages.transactional END,
    created_at = CASE WHEN messages.status = 'deferred' THEN now() ELSE messages.created_at END
RETURNING status, reason, (attempts = 1) AS inserted

-- name: suppress_address
INSERT INTO suppressions (channel, address, reason, note)
VALUES ($1, lower($2::text), $3, $4)
ON CONFLICT (channel, address) DO NOTHING

-- name: set_subscription
INSERT INTO subscriptions (profile_id, channel, topic, status)
VALUES ($1, $2, $3, $4)
ON CONFLICT (profile_id, channel, topic) DO UPDATE SET
    status = EXCLUDED.status, updated_at = now()
RETURNING profile_id, channel, topic, status, updated_at

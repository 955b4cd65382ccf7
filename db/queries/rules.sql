-- The rules every send obeys (activities/rules.py), read and applied in one transaction.

-- name: get_send_template
SELECT name, channel, subject, body, html, topic, transactional, locales FROM templates
WHERE name = $1

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
       AND NOT m.transactional AND NOT m.proof AND m.status IN ('sending', 'sent')
       AND m.created_at > now() - c.period) AS cap_used
FROM (SELECT 1) AS one
LEFT JOIN frequency_caps c ON c.channel = $3

-- name: claim_ruled_message
-- A retried send finds the row its first attempt wrote and does not send twice; the rule
-- outcome is recorded (a skipped send with its reason). A 'deferred' row (quiet hours) is no
-- attempt: the send supersedes it and counts from now; `inserted` is true then too.
-- $15 is the locale variant rendered; $16, $17 the record of a per-entity message (or null).
INSERT INTO messages (message_id, profile_id, journey_id, version, node_id, workflow_id, channel,
                      template, status, recipient, subject, body, attempts, reason,
                      transactional, sent_at, locale, entity_type, entity_key)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 1, $13, $14,
        CASE WHEN $9::text = 'sent' THEN now() END, $15, $16, $17)
ON CONFLICT (message_id) DO UPDATE SET
    attempts = CASE WHEN messages.status = 'deferred' THEN 1 ELSE messages.attempts + 1 END,
    status = CASE WHEN messages.status = 'deferred' THEN EXCLUDED.status ELSE messages.status END,
    recipient = CASE WHEN messages.status = 'deferred' THEN EXCLUDED.recipient
                     ELSE messages.recipient END,
    subject = CASE WHEN messages.status = 'deferred' THEN EXCLUDED.subject
                   ELSE messages.subject END,
    body = CASE WHEN messages.status = 'deferred' THEN EXCLUDED.body ELSE messages.body END,
    locale = CASE WHEN messages.status = 'deferred' THEN EXCLUDED.locale ELSE messages.locale END,
    reason = CASE WHEN messages.status = 'deferred' THEN EXCLUDED.reason ELSE messages.reason END,
    transactional = CASE WHEN messages.status = 'deferred' THEN EXCLUDED.transactional
                         ELSE messages.transactional END,
    created_at = CASE WHEN messages.status = 'deferred' THEN now() ELSE messages.created_at END,
    sent_at = CASE WHEN messages.status = 'deferred' THEN EXCLUDED.sent_at
                   ELSE messages.sent_at END
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

-- name: channel_capped
SELECT EXISTS (SELECT 1 FROM frequency_caps WHERE channel = $1)

-- name: lock_profiles_channel
-- lock_profile_channel for a batch, taken in one fixed order so batches cannot deadlock.
SELECT count(pg_advisory_xact_lock(hashtext(p || '/' || $2::text)))
FROM (SELECT DISTINCT p FROM unnest($1::text[]) AS p ORDER BY p) AS ordered

-- name: batch_send_facts
-- send_facts for a batch on one channel and topic, in input order.
-- $1 profile ids, $2 recipient addresses, $3 channel, $4 topic, $5 message ids (`existing`:
-- a row an earlier attempt wrote, already counted by cap_used).
SELECT
    b.i,
    EXISTS (SELECT 1 FROM messages e WHERE e.message_id = b.message_id) AS existing,
    EXISTS (SELECT 1 FROM subscriptions s
            WHERE s.profile_id = b.profile_id AND s.channel = $3 AND s.topic IS NULL
              AND s.status = 'unsubscribed') AS channel_unsubscribed,
    ($4::text IS NOT NULL AND EXISTS (
        SELECT 1 FROM subscriptions s
        WHERE s.profile_id = b.profile_id AND s.channel = $3 AND s.topic = $4::text
          AND s.status = 'unsubscribed')) AS topic_unsubscribed,
    (SELECT x.reason FROM suppressions x
     WHERE x.channel = $3 AND x.address = lower(b.recipient)) AS suppressed,
    c.max_messages AS cap_max,
    c.period AS cap_period,
    CASE WHEN c.channel IS NOT NULL THEN
        (SELECT count(*) FROM messages m
         WHERE m.profile_id = b.profile_id AND m.channel = $3
           AND NOT m.transactional AND NOT m.proof AND m.status IN ('sending', 'sent')
           AND m.created_at > now() - c.period)
    END AS cap_used
FROM unnest($1::text[], $2::text[], $5::text[]) WITH ORDINALITY
     AS b (profile_id, recipient, message_id, i)
LEFT JOIN frequency_caps c ON c.channel = $3
ORDER BY b.i

-- name: claim_campaign_messages
-- claim_ruled_message for a batch of one campaign: one statement for every row. $6 is each
-- row's run (a trigger inbox sends the requests of many runs together); $16 each row's locale
-- variant; $17, $18 the entity type and key of a per-entity message (null otherwise).
INSERT INTO messages (message_id, profile_id, workflow_id, channel, template, transactional,
                      campaign_id, campaign_run, status, recipient, subject, body, error,
                      reason, attempts, sent_at, node_id, locale, entity_type, entity_key)
SELECT b.message_id, b.profile_id, $1, $2, $3, $4, $5, b.run, b.status, b.recipient, b.subject,
       b.body, b.error, b.reason, 1, CASE WHEN b.status = 'sent' THEN now() END, $15, b.locale,
       b.entity_type, b.entity_key
FROM unnest($7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[],
            $13::text[], $14::text[], $6::text[], $16::text[], $17::text[], $18::text[])
     AS b (message_id, profile_id, status, recipient, subject, body, error, reason, run, locale,
           entity_type, entity_key)
ON CONFLICT (message_id) DO UPDATE SET attempts = messages.attempts + 1
RETURNING message_id, status, reason, (xmax = 0) AS inserted

-- name: claim_proof
-- A proof (activities/previews.py): no rules, never counted by caps nor reported. A retried
-- activity finds the row and keeps its outcome once it is `sent` or `failed`.
INSERT INTO messages (message_id, profile_id, workflow_id, channel, template, status, recipient,
                      subject, body, attempts, transactional, locale, proof, error)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1, $10, $11, true, $12)
ON CONFLICT (message_id) DO UPDATE SET attempts = messages.attempts + 1
RETURNING status, error

-- The message ledger as reported by the API (api/routes/messages.py).

-- name: list_messages
-- Newest first; keyset pagination on (created_at, message_id) below the cursor $3, $4;
-- $6 campaign, $7 channel, $8 status filter too when given.
SELECT message_id, profile_id, journey_id, version, node_id, campaign_id, channel, template,
       status, recipient, subject, body, error, reason, transactional, created_at, sent_at,
       deferred_until, locale, proof, send_time, entity_type, entity_key
FROM messages
WHERE ($1::text IS NULL OR profile_id = $1)
  AND ($2::text IS NULL OR journey_id = $2)
  AND ($6::text IS NULL OR campaign_id = $6)
  AND ($7::text IS NULL OR channel = $7)
  AND ($8::text IS NULL OR status = $8)
  AND ($3::timestamptz IS NULL OR (created_at, message_id) < ($3, $4::text))
ORDER BY created_at DESC, message_id DESC
LIMIT $5

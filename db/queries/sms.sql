-- SMS ledger details (activities/sms.py, api/routes/sms.py).

-- name: mark_sms
UPDATE messages SET provider_id = $2, segments = $3, encoding = $4 WHERE message_id = $1

-- name: record_delivery
-- A provider's delivery callback; the ledger keeps the latest status.
UPDATE messages SET delivery_status = $2,
    delivered_at = CASE WHEN $2 = 'delivered' THEN now() ELSE delivered_at END,
    error = CASE WHEN $3::text IS NOT NULL THEN $3::text ELSE error END
WHERE message_id = $1
RETURNING message_id

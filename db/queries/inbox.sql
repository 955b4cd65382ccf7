-- The in-app inbox (activities/channels/in_app.py writes, api/routes/inbox.py reads).

-- name: list_inbox
-- Newest first; $2 a status or NULL for unread and read; keyset below ($3, $4).
SELECT message_id, profile_id, title, body, status, created_at, read_at
FROM inbox
WHERE profile_id = $1
  AND (($2::text IS NULL AND status <> 'archived') OR status = $2::text)
  AND ($3::timestamptz IS NULL OR (created_at, message_id) < ($3, $4::text))
ORDER BY created_at DESC, message_id DESC
LIMIT $5

-- name: inbox_unread
SELECT count(*) FROM inbox WHERE profile_id = $1 AND status = 'unread'

-- name: set_inbox_status
UPDATE inbox SET status = $3,
    read_at = CASE WHEN $3 = 'unread' THEN NULL ELSE coalesce(read_at, now()) END
WHERE profile_id = $1 AND message_id = $2
RETURNING message_id, profile_id, title, body, status, created_at, read_at

-- Destinations (services/destinations.py) and their export ledger (activities/destinations/).

-- name: put_destination
-- A new destination's stream starts at the oldest transaction running now (the default).
INSERT INTO destinations (name, kind, spec) VALUES ($1, $2, $3)
ON CONFLICT (name) DO UPDATE SET kind = EXCLUDED.kind, spec = EXCLUDED.spec, updated_at = now()
RETURNING name, kind, spec, created_at, updated_at, (xmax = 0) AS created

-- name: read_destination
SELECT name, kind, spec, created_at, updated_at FROM destinations WHERE name = $1

-- name: list_destinations
SELECT name, kind, spec, created_at, updated_at FROM destinations ORDER BY name

-- name: delete_destination
DELETE FROM destinations WHERE name = $1 RETURNING name

-- name: notify_destinations
SELECT pg_notify('wayline_destinations', $1)

-- name: destination_rates
SELECT name, spec FROM destinations

-- name: destination_exports
-- The ledger, newest first; keyset paging by (started_at, export_id) is left to `limit`.
SELECT export_id, kind, run_id, status, started_at, finished_at, rows, bytes, attempts,
       error, location
FROM destination_exports
WHERE destination = $1
ORDER BY started_at DESC, export_id DESC
LIMIT $2

-- name: begin_run
INSERT INTO destination_exports (export_id, destination, kind, status)
VALUES ($1, $2, 'run', 'running')
ON CONFLICT (export_id) DO NOTHING

-- name: finish_export
UPDATE destination_exports
SET status = $2, rows = $3, bytes = $4, error = $5, location = coalesce($6, location),
    to_txid = coalesce($7::text::xid8, to_txid), from_txid = coalesce($8::text::xid8, from_txid),
    finished_at = now()
WHERE export_id = $1

-- name: note_export_error
UPDATE destination_exports SET error = $2, attempts = attempts + 1 WHERE export_id = $1

-- name: lock_destination
SELECT name, kind, spec, cursor_txid::text AS cursor_txid, cursor_id
FROM destinations WHERE name = $1 FOR UPDATE

-- name: open_stream_batch
SELECT export_id, from_txid::text AS from_txid, from_id, to_txid::text AS to_txid, to_id
FROM destination_exports
WHERE destination = $1 AND kind = 'batch' AND run_id IS NULL AND status = 'running'

-- name: snapshot_horizon
-- Every transaction below this one has ended: changes it wrote are all visible now.
SELECT pg_snapshot_xmin(pg_current_snapshot())::text

-- name: stream_changes
-- $1 audience, ($2, $3) exclusive lower bound, ($4, $5) inclusive upper bound, $6 purpose,
-- $7 attribute paths, $8 limit. Only profiles consenting to the purpose; rows of erased
-- profiles are gone with them.
SELECT c.txid::text AS txid, c.id, c.change, c.at, p.profile_id, p.email, p.phone,
       p.timezone,
       ARRAY(SELECT p.attributes #> string_to_array(a.path, '.')
             FROM unnest($7::text[]) WITH ORDINALITY AS a(path, n) ORDER BY a.n) AS attrs
FROM audience_changes c
JOIN profiles p ON p.profile_id = c.profile_id
WHERE c.audience_id = $1
  AND (c.txid, c.id) > ($2::text::xid8, $3::bigint)
  AND (c.txid, c.id) <= ($4::text::xid8, $5::bigint)
  AND EXISTS (SELECT 1 FROM subscriptions s
              WHERE s.profile_id = c.profile_id AND s.channel = 'purpose' AND s.topic = $6
                AND s.status = 'subscribed')
ORDER BY c.txid, c.id
LIMIT $8

-- name: record_stream_batch
INSERT INTO destination_exports (export_id, destination, kind, status, rows,
                                 from_txid, from_id, to_txid, to_id)
VALUES ($1, $2, 'batch', 'running', $3, $4::text::xid8, $5, $6::text::xid8, $7)

-- name: advance_cursor
UPDATE destinations SET cursor_txid = greatest(cursor_txid, $2::text::xid8),
       cursor_id = CASE WHEN cursor_txid < $2::text::xid8 THEN $3
                        WHEN cursor_txid = $2::text::xid8 THEN greatest(cursor_id, $3)
                        ELSE cursor_id END
WHERE name = $1

-- name: finish_stream_batch
UPDATE destination_exports
SET status = $2, bytes = $3, error = $4, finished_at = now()
WHERE export_id = $1

-- name: member_rows
-- Current members consenting to $2, by profile id after $4 (keyset), with the attribute
-- paths $3 as JSON (or as text when $5); a file reads it through a server-side cursor.
SELECT m.profile_id, p.email, p.phone, p.timezone,
       ARRAY(SELECT CASE WHEN $5::boolean THEN p.attributes #>> string_to_array(a.path, '.')
                         ELSE (p.attributes #> string_to_array(a.path, '.'))::text END
             FROM unnest($3::text[]) WITH ORDINALITY AS a(path, n) ORDER BY a.n) AS attrs
FROM audience_members m
JOIN profiles p ON p.profile_id = m.profile_id
WHERE m.audience_id = $1 AND m.profile_id > $4
  AND EXISTS (SELECT 1 FROM subscriptions s
              WHERE s.profile_id = m.profile_id AND s.channel = 'purpose' AND s.topic = $2
                AND s.status = 'subscribed')
ORDER BY m.profile_id
LIMIT $6

-- name: change_rows
-- An incremental file: the changes of transactions in [$2, $3) (txid), consenting to $4,
-- attribute paths as for member_rows.
SELECT c.change, c.profile_id, p.email, p.phone, p.timezone,
       ARRAY(SELECT CASE WHEN $6::boolean THEN p.attributes #>> string_to_array(a.path, '.')
                         ELSE (p.attributes #> string_to_array(a.path, '.'))::text END
             FROM unnest($5::text[]) WITH ORDINALITY AS a(path, n) ORDER BY a.n) AS attrs
FROM audience_changes c
JOIN profiles p ON p.profile_id = c.profile_id
WHERE c.audience_id = $1 AND c.txid >= $2::text::xid8 AND c.txid < $3::text::xid8
  AND EXISTS (SELECT 1 FROM subscriptions s
              WHERE s.profile_id = c.profile_id AND s.channel = 'purpose' AND s.topic = $4
                AND s.status = 'subscribed')
ORDER BY c.txid, c.id

-- name: last_file_horizon
-- Where an incremental file starts: the horizon of the last file that was written.
SELECT to_txid::text FROM destination_exports
WHERE destination = $1 AND kind = 'run' AND status = 'succeeded' AND to_txid IS NOT NULL
ORDER BY finished_at DESC LIMIT 1

-- name: record_run_batch
INSERT INTO destination_exports (export_id, destination, kind, run_id, status, rows)
VALUES ($1, $2, 'batch', $3, 'running', $4)
ON CONFLICT (export_id) DO UPDATE SET attempts = destination_exports.attempts + 1,
                                      rows = EXCLUDED.rows
RETURNING status

-- name: run_totals
SELECT count(*) AS batches, coalesce(sum(rows), 0)::bigint AS rows,
       coalesce(sum(bytes), 0)::bigint AS bytes,
       count(*) FILTER (WHERE status = 'failed') AS failed
FROM destination_exports WHERE run_id = $1

-- name: destination_audience_exists
SELECT EXISTS (SELECT 1 FROM audiences WHERE audience_id = $1)

-- name: destination_open_run
INSERT INTO destination_exports (export_id, destination, kind, status)
VALUES ($1, $2, 'run', 'running')
ON CONFLICT (export_id) DO NOTHING

-- name: set_export_rows
UPDATE destination_exports SET rows = $2 WHERE export_id = $1

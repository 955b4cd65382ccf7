-- Trace context carried across the event outbox (core/telemetry.py).

-- name: set_event_traceparent
-- $1 event_id[] (the newly inserted ones), $2 traceparent; in the ingest transaction.
UPDATE events SET traceparent = $2 WHERE event_id = ANY($1::text[])

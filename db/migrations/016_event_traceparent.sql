-- The W3C traceparent of the request that ingested an event, so the dispatcher continues
-- that trace when it routes the event to a workflow (the outbox would otherwise cut it).
-- NULL when tracing is off or the event came from a producer without a trace.
ALTER TABLE events ADD COLUMN traceparent text;

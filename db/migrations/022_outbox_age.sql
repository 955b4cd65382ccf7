-- Backpressure (api bulk ingest, services/backpressure.py) asks how long the oldest unrouted
-- event has waited. `events_pending` is ordered by profile, so without this index that
-- question reads every pending event; with it, one index entry.
CREATE INDEX events_pending_age ON events (received_at) WHERE dispatched_at IS NULL;

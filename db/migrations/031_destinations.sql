-- Destinations (issue 17.7): audiences exported to external systems, each a resource with
-- its own task queue (decision 5), and the ledger of every export run and batch.

-- The transaction that wrote each change: a stream reads changes in (txid, id) order up to
-- the oldest transaction still running, so a change committed late (a lower id, an older
-- transaction) is never skipped by a cursor that moved past its id. Rows written before
-- this migration have none and are never streamed (a stream starts at its creation).
ALTER TABLE audience_changes ADD COLUMN txid xid8;
ALTER TABLE audience_changes ALTER COLUMN txid SET DEFAULT pg_current_xact_id();
CREATE INDEX audience_changes_stream ON audience_changes (audience_id, txid, id);

CREATE TABLE destinations (
    name         text PRIMARY KEY,
    kind         text NOT NULL CHECK (kind IN ('stream_http', 'file', 'ad_audience')),
    spec         jsonb NOT NULL,
    -- A stream's cursor: the last change delivered, as (txid, id).
    cursor_txid  xid8 NOT NULL DEFAULT pg_snapshot_xmin(pg_current_snapshot()),
    cursor_id    bigint NOT NULL DEFAULT 0,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);

-- One row per run (a file or an advertising upload) and per batch (of a stream or of an
-- advertising run). A batch's export_id is its Idempotency-Key; a stream batch keeps the
-- bounds of its changes, so a retry after a crash sends the same changes under the same key.
CREATE TABLE destination_exports (
    export_id    text PRIMARY KEY,
    destination  text NOT NULL REFERENCES destinations (name) ON DELETE CASCADE,
    kind         text NOT NULL CHECK (kind IN ('run', 'batch')),
    run_id       text,
    status       text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
    started_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz,
    rows         bigint NOT NULL DEFAULT 0,
    bytes        bigint NOT NULL DEFAULT 0,
    attempts     integer NOT NULL DEFAULT 1,
    error        text,
    location     text,
    from_txid    xid8,
    from_id      bigint,
    to_txid      xid8,
    to_id        bigint
);
CREATE INDEX destination_exports_recent ON destination_exports (destination, started_at DESC);
-- At most one open stream batch per destination: the one a retry must send again.
CREATE UNIQUE INDEX destination_exports_open_batch ON destination_exports (destination)
    WHERE kind = 'batch' AND run_id IS NULL AND status = 'running';

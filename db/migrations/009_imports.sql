-- Bulk profile imports (CSV or NDJSON, from the API or the CLI): one row per import with
-- its counts and the first row errors, so a long upload can be looked up afterwards.
CREATE TABLE profile_imports (
    id           uuid PRIMARY KEY,
    status       text NOT NULL DEFAULT 'running'
                 CHECK (status IN ('running', 'succeeded', 'failed')),
    format       text NOT NULL CHECK (format IN ('csv', 'ndjson')),
    source       text NOT NULL CHECK (source IN ('api', 'cli')),
    filename     text,
    dry_run      boolean NOT NULL DEFAULT false,
    bytes_read   bigint NOT NULL DEFAULT 0,
    rows_read    bigint NOT NULL DEFAULT 0,
    rows_valid   bigint NOT NULL DEFAULT 0,
    rows_failed  bigint NOT NULL DEFAULT 0,
    duplicates   bigint NOT NULL DEFAULT 0,
    created      bigint NOT NULL DEFAULT 0,
    updated      bigint NOT NULL DEFAULT 0,
    unchanged    bigint NOT NULL DEFAULT 0,
    error_count  bigint NOT NULL DEFAULT 0,
    errors       jsonb NOT NULL DEFAULT '[]'::jsonb,   -- the first errors: {line, field, message}
    error        text,                                 -- why a failed import stopped
    started_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz
);
CREATE INDEX profile_imports_started ON profile_imports (started_at DESC);

-- The shape of the rows an import stages with COPY before merging them into profiles.
-- Each import creates a TEMP table of this shape and name on its own connection, which
-- shadows this (always empty) table there: pg_temp comes first in the search path. So
-- imports never share rows, leave nothing behind, skip WAL, and the named queries in
-- db/queries/imports.sql still prepare against the real schema.
CREATE UNLOGGED TABLE profile_import_rows (
    line        bigint NOT NULL,   -- where the row starts in the file (1-based)
    profile_id  text NOT NULL,
    email       text,              -- NULL: leave the stored value
    phone       text,
    timezone    text,
    unset       text[],            -- contact fields set to null explicitly (NDJSON)
    attributes  text NOT NULL,     -- a JSON object: keys to set
    removed     text[],            -- attribute keys to remove (NDJSON null)
    -- Not copied by LIKE: a row written here by mistake (no TEMP table on the connection)
    -- fails loudly instead of being imported nowhere.
    CONSTRAINT profile_import_rows_template_only CHECK (false)
);

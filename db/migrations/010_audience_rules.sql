-- Audience evaluation: indexes for compiled rules, what each audience depends on, and the
-- recheck queue that triggers fill on every write path (API, imports, journey steps), so
-- membership follows profile changes and events without coupling the writers to audiences.

-- `attribute eq value` compiles to containment (`attributes @> {"k": v}`).
CREATE INDEX profiles_attributes_path ON profiles USING gin (attributes jsonb_path_ops);
-- Event conditions: by name and window for a full evaluation (index-only with profile_id),
-- by profile for a per-profile recheck.
CREATE INDEX events_name_ts ON events (name, ts) INCLUDE (profile_id);
CREATE INDEX events_profile_name_ts ON events (profile_id, name, ts);

-- What can change an audience's membership: attribute keys, contact fields, event names.
CREATE TABLE audience_dependencies (
    audience_id text NOT NULL REFERENCES audiences (audience_id) ON DELETE CASCADE,
    kind        text NOT NULL CHECK (kind IN ('attribute', 'field', 'event')),
    name        text NOT NULL,
    PRIMARY KEY (kind, name, audience_id)
);
CREATE INDEX audience_dependencies_audience ON audience_dependencies (audience_id);

-- (audience, profile) pairs to re-evaluate; `seq` changes on every new reason so the
-- rechecker only deletes a row nothing was added to while it worked (as dispatch_queue).
CREATE SEQUENCE audience_recheck_seq;
CREATE TABLE audience_recheck (
    audience_id   text NOT NULL,
    profile_id    text NOT NULL,
    seq           bigint NOT NULL DEFAULT nextval('audience_recheck_seq'),
    leased_until  timestamptz NOT NULL DEFAULT '-infinity',
    PRIMARY KEY (audience_id, profile_id)
);
CREATE INDEX audience_recheck_ready ON audience_recheck (leased_until, seq);

CREATE FUNCTION audience_recheck_enqueue() RETURNS trigger LANGUAGE plpgsql AS $$
-- One statement-level function for profiles INSERT/UPDATE/DELETE and events INSERT.
-- A statement over more than `bulk` rows (an import) queues each affected audience once,
-- with the profile id '' meaning "evaluate in full": cheaper than a pair per row.
DECLARE
    bulk constant bigint := 10000;
    is_bulk boolean;
    queued bigint;
BEGIN
    IF TG_OP = 'DELETE' THEN
        -- An erased profile leaves its audiences; its rechecks are moot.
        DELETE FROM audience_members m USING old_rows o WHERE m.profile_id = o.profile_id;
        DELETE FROM audience_recheck r USING old_rows o WHERE r.profile_id = o.profile_id;
        RETURN NULL;
    END IF;
    is_bulk := (SELECT count(*) FROM new_rows) > bulk;
    IF TG_TABLE_NAME = 'events' THEN
        INSERT INTO audience_recheck (audience_id, profile_id)
        SELECT DISTINCT d.audience_id, CASE WHEN is_bulk THEN '' ELSE n.profile_id END
        FROM new_rows n
        JOIN audience_dependencies d ON d.kind = 'event' AND d.name = n.name
        WHERE n.name NOT LIKE 'audience.%'
        ORDER BY 1, 2
        ON CONFLICT (audience_id, profile_id) DO UPDATE SET seq = nextval('audience_recheck_seq');
    ELSIF TG_OP = 'INSERT' AND is_bulk THEN
        INSERT INTO audience_recheck (audience_id, profile_id)
        SELECT a.audience_id, '' FROM audiences a WHERE a.status = 'active'
        ORDER BY 1
        ON CONFLICT (audience_id, profile_id) DO UPDATE SET seq = nextval('audience_recheck_seq');
    ELSIF TG_OP = 'INSERT' THEN
        -- A new profile can match any audience (`not performed`, `not_exists` ...).
        INSERT INTO audience_recheck (audience_id, profile_id)
        SELECT a.audience_id, n.profile_id
        FROM new_rows n CROSS JOIN audiences a
        WHERE a.status = 'active'
        ORDER BY 1, 2
        ON CONFLICT (audience_id, profile_id) DO UPDATE SET seq = nextval('audience_recheck_seq');
    ELSE
        INSERT INTO audience_recheck (audience_id, profile_id)
        SELECT DISTINCT d.audience_id, CASE WHEN is_bulk THEN '' ELSE n.profile_id END
        FROM new_rows n
        JOIN old_rows o ON o.profile_id = n.profile_id
        JOIN audience_dependencies d ON
            (d.kind = 'attribute' AND (o.attributes -> d.name) IS DISTINCT FROM (n.attributes -> d.name))
            OR (d.kind = 'field' AND d.name = 'email' AND o.email IS DISTINCT FROM n.email)
            OR (d.kind = 'field' AND d.name = 'phone' AND o.phone IS DISTINCT FROM n.phone)
            OR (d.kind = 'field' AND d.name = 'timezone' AND o.timezone IS DISTINCT FROM n.timezone)
        ORDER BY 1, 2
        ON CONFLICT (audience_id, profile_id) DO UPDATE SET seq = nextval('audience_recheck_seq');
    END IF;
    GET DIAGNOSTICS queued = ROW_COUNT;
    IF queued > 0 THEN
        PERFORM pg_notify('wayline_audiences', '');
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER profiles_audience_insert AFTER INSERT ON profiles
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION audience_recheck_enqueue();
CREATE TRIGGER profiles_audience_update AFTER UPDATE ON profiles
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION audience_recheck_enqueue();
CREATE TRIGGER profiles_audience_delete AFTER DELETE ON profiles
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION audience_recheck_enqueue();
CREATE TRIGGER events_audience_insert AFTER INSERT ON events
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION audience_recheck_enqueue();

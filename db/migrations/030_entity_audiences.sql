-- Audiences over entities (audiences/entity_sql.py): an entity record written or deleted
-- queues a recheck of the audiences that read its type, for the profiles it reaches.
--
-- An audience's entity dependencies are paths (audiences/entity_check.py `reach`):
-- `T.c` is the column `c` of the changed records of type `T`, each following step `U.r.c`
-- the column `c` of the `U` records whose relation `r` holds one of the values so far; the
-- last values are profile ids. `booking.guest` (the booking's own profile),
-- `hotel.id/booking.hotel.guest` (the guests of a changed hotel's bookings),
-- `product.sku/view.product.who` (who viewed a changed product). Every name in a path was
-- checked against the entity definitions when the audience was saved, and is quoted here.
ALTER TABLE audience_dependencies DROP CONSTRAINT audience_dependencies_kind_check;
ALTER TABLE audience_dependencies ADD CONSTRAINT audience_dependencies_kind_check
    CHECK (kind IN ('attribute', 'field', 'event', 'entity'));

CREATE FUNCTION entity_audience_enqueue() RETURNS trigger LANGUAGE plpgsql AS $$
-- Statement-level, for INSERT, UPDATE and DELETE on every `entities.e_<type>` table;
-- TG_ARGV[0] is the type. An update reaches the profiles of its old and new rows (a booking
-- moved to another guest leaves the first guest's audiences). Past `bulk` profiles on one
-- path, each audience of the path is queued once for a full evaluation ('').
DECLARE
    bulk constant bigint := 10000;
    path text;
    steps text[];
    step text[];
    reached text;
    ids text[];
    queued bigint := 0;
    n bigint;
BEGIN
    FOR path IN
        SELECT DISTINCT d.name FROM audience_dependencies d
        WHERE d.kind = 'entity' AND split_part(split_part(d.name, '/', 1), '.', 1) = TG_ARGV[0]
        ORDER BY 1
    LOOP
        steps := string_to_array(path, '/');
        step := string_to_array(steps[1], '.');
        IF TG_OP = 'INSERT' THEN
            reached := format('SELECT %I AS v FROM new_rows', step[2]);
        ELSIF TG_OP = 'DELETE' THEN
            reached := format('SELECT %I AS v FROM old_rows', step[2]);
        ELSE
            reached := format('SELECT %I AS v FROM new_rows UNION SELECT %I FROM old_rows',
                              step[2], step[2]);
        END IF;
        FOR i IN 2 .. coalesce(array_length(steps, 1), 1) LOOP
            step := string_to_array(steps[i], '.');
            reached := format('SELECT x.%I AS v FROM %I.%I x WHERE x.%I IN (%s)',
                              step[3], 'entities', 'e_' || step[1], step[2], reached);
        END LOOP;
        EXECUTE format('SELECT array_agg(DISTINCT r.v::text) FROM (%s) r WHERE r.v IS NOT NULL',
                       reached) INTO ids;
        CONTINUE WHEN ids IS NULL;
        IF cardinality(ids) > bulk THEN
            ids := ARRAY[''];
        END IF;
        INSERT INTO audience_recheck (audience_id, profile_id)
        SELECT d.audience_id, i.id
        FROM audience_dependencies d CROSS JOIN unnest(ids) AS i(id)
        WHERE d.kind = 'entity' AND d.name = path
        ORDER BY 1, 2
        ON CONFLICT (audience_id, profile_id) DO UPDATE SET seq = nextval('audience_recheck_seq');
        GET DIAGNOSTICS n = ROW_COUNT;
        queued := queued + n;
    END LOOP;
    IF queued > 0 THEN
        PERFORM pg_notify('wayline_audiences', '');
    END IF;
    RETURN NULL;
END
$$;

-- The tables made before this migration get the triggers entities/ddl.py gives new ones.
DO $$
DECLARE
    t text;
BEGIN
    FOR t IN SELECT name FROM entity_types ORDER BY name LOOP
        EXECUTE format('CREATE TRIGGER audiences_insert AFTER INSERT ON entities.%I '
                       'REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT '
                       'EXECUTE FUNCTION entity_audience_enqueue(%L)', 'e_' || t, t);
        EXECUTE format('CREATE TRIGGER audiences_update AFTER UPDATE ON entities.%I '
                       'REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows '
                       'FOR EACH STATEMENT EXECUTE FUNCTION entity_audience_enqueue(%L)',
                       'e_' || t, t);
        EXECUTE format('CREATE TRIGGER audiences_delete AFTER DELETE ON entities.%I '
                       'REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT '
                       'EXECUTE FUNCTION entity_audience_enqueue(%L)', 'e_' || t, t);
    END LOOP;
END
$$;

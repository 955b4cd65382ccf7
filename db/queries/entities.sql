-- Entity type definitions (services/entities.py). The record queries are built per type
-- from quoted identifiers by entities/queries.py, since their tables are the definitions'.

-- name: lock_entity_types
-- Serialises definition changes and their DDL, so two saves cannot race on one table and
-- a type cannot be dropped while another starts to point at it.
SELECT pg_advisory_xact_lock(hashtext('wayline:entity-types'))

-- name: share_entity_types
-- Taken by record writes: many at once, never while a definition's DDL runs, so a write
-- always sees the table its definition describes.
SELECT pg_advisory_xact_lock_shared(hashtext('wayline:entity-types'))

-- name: put_entity_type
INSERT INTO entity_types (name, definition) VALUES ($1, $2)
ON CONFLICT (name) DO UPDATE SET
    definition = EXCLUDED.definition, version = entity_types.version + 1, updated_at = now()
RETURNING name, definition, version, created_at, updated_at, (xmax = 0) AS created

-- name: read_entity_type
SELECT name, definition, version, created_at, updated_at FROM entity_types WHERE name = $1

-- name: list_entity_types
SELECT name, definition, version, created_at, updated_at FROM entity_types ORDER BY name

-- name: delete_entity_type
DELETE FROM entity_types WHERE name = $1

-- name: destinations_exporting_entity
-- Destinations with an `entities.<type>` field ($1 the type), by name.
SELECT name FROM destinations WHERE spec->'fields' ? ('entities.' || $1) ORDER BY name

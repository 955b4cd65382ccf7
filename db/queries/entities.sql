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

-- name: per_entity_readers
-- The `per` selections an entity type change must leave working: each active campaign's,
-- and each message node's of a journey version that is live or still has runs in it, with
-- the texts of the template its messages render (they read `entity.fields` and
-- `entity.related`).
SELECT r.kind, r.name, r.version, r.per, t.subject, t.body, t.html, t.locales
FROM (
  SELECT 'campaign' AS kind, campaign_id AS name, NULL::integer AS version, per,
         template
  FROM campaigns
  WHERE status = 'active' AND jsonb_typeof(per) = 'object'
  UNION ALL
  SELECT 'journey', v.journey_id, v.version, n.value -> 'per', n.value ->> 'template'
  FROM journey_versions v
  JOIN journeys j ON j.journey_id = v.journey_id
  CROSS JOIN LATERAL jsonb_each(v.definition -> 'nodes') AS n
  WHERE jsonb_typeof(n.value -> 'per') = 'object'
    AND ((j.status = 'live' AND j.live_version = v.version)
         OR EXISTS (SELECT 1 FROM journey_entries e
                    WHERE e.journey_id = v.journey_id AND e.version = v.version
                      AND e.status = 'active'))
) r
LEFT JOIN templates t ON t.name = r.template
ORDER BY 1, 2, 3

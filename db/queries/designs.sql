-- The designer's saved work beside a journey's draft (services/designs.py).

-- name: put_journey_design
INSERT INTO journey_designs (journey_id, source, format, positions, updated_by)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (journey_id) DO UPDATE SET
    source = EXCLUDED.source, format = EXCLUDED.format, positions = EXCLUDED.positions,
    updated_at = now(), updated_by = EXCLUDED.updated_by
RETURNING journey_id, source, format, positions, updated_at, updated_by, (xmax = 0) AS created

-- name: read_journey_design
SELECT journey_id, source, format, positions, updated_at, updated_by
FROM journey_designs WHERE journey_id = $1

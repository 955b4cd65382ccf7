-- What the event router keeps in memory: which journeys listen to which event names.

-- name: registry_versions
-- Every published version with its journey's status: live versions take entries,
-- all versions may still have profiles inside that wait for events.
SELECT v.journey_id, v.version, v.definition, j.status, j.live_version, j.name
FROM journey_versions v JOIN journeys j USING (journey_id)
ORDER BY v.journey_id, v.version

-- name: registry_fingerprint
-- Changes with every publish and stop. A dispatcher whose registry was loaded with another
-- value reloads it before routing: an event stored after a publish always sees it, even
-- when the publish's NOTIFY has not reached the dispatcher yet (or was lost).
SELECT md5(coalesce(string_agg(journey_id || ':' || status || ':' || live_version::text, ','
                               ORDER BY journey_id), ''))
FROM journeys WHERE live_version IS NOT NULL

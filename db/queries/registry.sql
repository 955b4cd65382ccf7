-- What the event router keeps in memory: which journeys listen to which event names.

-- name: registry_versions
-- Every published version with its journey's status: live versions take entries,
-- all versions may still have profiles inside that wait for events.
SELECT v.journey_id, v.version, v.definition, j.status, j.live_version, j.name
FROM journey_versions v JOIN journeys j USING (journey_id)
ORDER BY v.journey_id, v.version

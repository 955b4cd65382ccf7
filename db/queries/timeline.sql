-- A profile's timeline (api/routes/timeline.py): events, journey entries and exits,
-- messages and audience changes, merged in time order. Every item has a stable
-- (at, kind, key) position; a page starts strictly after the cursor's position.

-- name: profile_timeline
-- $1 profile id, $2 kinds wanted, $3/$4/$5 the cursor (at, kind, key), $6 page size.
WITH items AS (
    (SELECT e.ts AS at, 'event'::text AS kind, lpad(e.id::text, 20, '0') AS key,
            jsonb_build_object('event_id', e.event_id, 'name', e.name,
                               'properties', e.properties, 'received_at', e.received_at) AS data
     FROM events e
     WHERE e.profile_id = $1 AND 'event' = ANY($2::text[])
       AND (e.ts, 'event'::text, lpad(e.id::text, 20, '0')) > ($3::timestamptz, $4::text, $5::text)
     ORDER BY e.ts, e.id
     LIMIT $6)
    UNION ALL
    (SELECT j.entered_at, 'journey_entered'::text, j.run_id,
            jsonb_build_object('journey_id', j.journey_id, 'version', j.version,
                               'run_id', j.run_id, 'workflow_id', j.workflow_id,
                               'key', j.entry_key)
     FROM journey_entries j
     WHERE j.profile_id = $1 AND 'journey_entered' = ANY($2::text[])
       AND (j.entered_at, 'journey_entered'::text, j.run_id) > ($3, $4, $5)
     ORDER BY j.entered_at, j.run_id
     LIMIT $6)
    UNION ALL
    (SELECT j.ended_at, 'journey_exited'::text, j.run_id,
            jsonb_build_object('journey_id', j.journey_id, 'version', j.version,
                               'run_id', j.run_id, 'workflow_id', j.workflow_id,
                               'key', j.entry_key, 'status', j.status, 'reason', j.reason)
     FROM journey_entries j
     WHERE j.profile_id = $1 AND j.ended_at IS NOT NULL AND 'journey_exited' = ANY($2::text[])
       AND (j.ended_at, 'journey_exited'::text, j.run_id) > ($3, $4, $5)
     ORDER BY j.ended_at, j.run_id
     LIMIT $6)
    UNION ALL
    (SELECT m.created_at, 'message'::text, m.message_id,
            jsonb_build_object('message_id', m.message_id, 'journey_id', m.journey_id,
                               'node_id', m.node_id, 'channel', m.channel,
                               'template', m.template, 'status', m.status,
                               'reason', m.reason, 'sent_at', m.sent_at,
                               'delivery_status', m.delivery_status,
                               'erased', m.erased_at IS NOT NULL)
     FROM messages m
     WHERE m.profile_id = $1 AND 'message' = ANY($2::text[])
       AND (m.created_at, 'message'::text, m.message_id) > ($3, $4, $5)
     ORDER BY m.created_at, m.message_id
     LIMIT $6)
    UNION ALL
    (SELECT c.at, 'audience_' || c.change, lpad(c.id::text, 20, '0'),
            jsonb_build_object('audience_id', c.audience_id)
     FROM audience_changes c
     WHERE c.profile_id = $1 AND 'audience_' || c.change = ANY($2::text[])
       AND (c.at, 'audience_' || c.change, lpad(c.id::text, 20, '0')) > ($3, $4, $5)
     ORDER BY c.at, 'audience_' || c.change, c.id
     LIMIT $6)
)
SELECT at, kind, key, data FROM items ORDER BY at, kind, key LIMIT $6

-- name: profile_exists
SELECT EXISTS (SELECT 1 FROM profiles WHERE profile_id = $1)

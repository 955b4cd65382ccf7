-- Message templates (api/routes/templates.py); activities render them at send time.

-- name: put_template
INSERT INTO templates (name, channel, subject, body, html, topic, transactional, locales)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT (name) DO UPDATE SET
    channel = EXCLUDED.channel, subject = EXCLUDED.subject, body = EXCLUDED.body,
    html = EXCLUDED.html, topic = EXCLUDED.topic, transactional = EXCLUDED.transactional,
    locales = EXCLUDED.locales, updated_at = now()
RETURNING name, channel, subject, body, html, topic, transactional, locales, created_at,
    updated_at,
    (xmax = 0) AS created

-- name: read_template
SELECT name, channel, subject, body, html, topic, transactional, locales, created_at,
    updated_at
FROM templates WHERE name = $1

-- name: list_templates
SELECT name, channel, subject, body, html, topic, transactional, locales, created_at,
    updated_at
FROM templates ORDER BY name

-- name: template_channels
-- Checked at publish: every template a journey names must exist on the node's channel.
SELECT name, channel FROM templates

-- name: live_journeys_using_template
SELECT j.journey_id
FROM journeys j
JOIN journey_versions v ON v.journey_id = j.journey_id AND v.version = j.live_version
WHERE j.status = 'live'
  AND jsonb_path_exists(v.definition, '$.**.template ? (@ == $name)',
                        jsonb_build_object('name', $1::text))
ORDER BY j.journey_id

-- name: delete_template
DELETE FROM templates WHERE name = $1 RETURNING name

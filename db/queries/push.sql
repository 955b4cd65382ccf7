-- Push device tokens live in the profile's attributes as `push_tokens` (a list).

-- name: remove_push_tokens
-- Drops device tokens FCM reported unregistered or invalid.
UPDATE profiles SET
    attributes = jsonb_set(attributes, '{push_tokens}', coalesce(
        (SELECT jsonb_agg(t) FROM jsonb_array_elements(attributes -> 'push_tokens') AS t
         WHERE NOT (t #>> '{}' = ANY($2::text[]))), '[]'::jsonb)),
    updated_at = now()
WHERE profile_id = $1 AND jsonb_typeof(attributes -> 'push_tokens') = 'array'

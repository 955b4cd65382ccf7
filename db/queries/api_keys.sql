-- API keys (api/keys.py, api/routes/api_keys.py). Keys are stored as SHA-256 hex only.

-- name: insert_api_key
INSERT INTO api_keys (id, name, prefix, key_hash, scopes)
VALUES ($1, $2, $3, $4, $5::text[])
RETURNING id, name, prefix, scopes, created_at, revoked_at

-- name: find_api_key
SELECT id, name, scopes FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL

-- name: lock_api_keys_bootstrap
-- Two processes starting on an empty database must not both create a bootstrap key.
LOCK TABLE api_keys IN EXCLUSIVE MODE

-- name: any_api_key
SELECT EXISTS (SELECT 1 FROM api_keys)

-- name: list_api_keys
SELECT id, name, prefix, scopes, created_at, revoked_at
FROM api_keys
ORDER BY created_at, id

-- name: get_api_key_for_update
SELECT id, name, prefix, scopes, created_at, revoked_at FROM api_keys WHERE id = $1 FOR UPDATE

-- name: count_other_admin_keys
-- Active admin keys other than $1, locked so two concurrent revocations cannot both pass.
SELECT count(*) FROM (
    SELECT id FROM api_keys
    WHERE revoked_at IS NULL AND 'admin' = ANY (scopes) AND id <> $1
    FOR UPDATE
) k

-- name: revoke_api_key
UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1
RETURNING id, name, prefix, scopes, created_at, revoked_at

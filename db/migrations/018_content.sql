-- Content (issue 16): fragments that templates include, locale variants, proofs.

-- A fragment: a named block of Jinja text (header, footer, legal text, a product card)
-- that templates and other fragments include with {% include "name" %}. `locales` holds
-- its variants by BCP 47 tag ({"fr": "...", "fr-CA": "..."}); `body` is the default.
-- Every save bumps `version` and keeps the saved text in fragment_versions.
CREATE TABLE fragments (
    name text PRIMARY KEY,
    description text,
    body text NOT NULL,
    locales jsonb NOT NULL DEFAULT '{}'::jsonb,
    version integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE fragment_versions (
    name text NOT NULL REFERENCES fragments (name) ON DELETE CASCADE,
    version integer NOT NULL,
    description text,
    body text NOT NULL,
    locales jsonb NOT NULL,
    saved_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (name, version)
);

-- Who includes which fragment, written when a template or fragment is saved: the usage the
-- API lists, the refusal to delete a fragment in use, and the edges of the cycle check.
CREATE TABLE fragment_uses (
    user_kind text NOT NULL CHECK (user_kind IN ('template', 'fragment')),
    user_name text NOT NULL,
    fragment text NOT NULL,
    PRIMARY KEY (user_kind, user_name, fragment)
);
CREATE INDEX fragment_uses_fragment ON fragment_uses (fragment);

-- A template's locale variants: {"fr": {"subject": ..., "body": ..., "html": ...}}.
ALTER TABLE templates ADD COLUMN locales jsonb NOT NULL DEFAULT '{}'::jsonb;

-- The variant that went out ('fr', 'fr-CA', or 'default'); NULL for rows from before.
ALTER TABLE messages ADD COLUMN locale text;
-- A proof: a template sent to a test address on request. Never counted by frequency caps,
-- never part of a report.
ALTER TABLE messages ADD COLUMN proof boolean NOT NULL DEFAULT false;

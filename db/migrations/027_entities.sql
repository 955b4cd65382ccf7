-- Entity types (decision 15, services/entities.py): each definition kept here, and its
-- records in a real table `entities.e_<name>` created and altered from the definition.
CREATE SCHEMA IF NOT EXISTS entities;

CREATE TABLE entity_types (
    name text PRIMARY KEY,
    definition jsonb NOT NULL,
    version integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

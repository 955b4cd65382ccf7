-- The designer's work in progress beside each journey's draft (GET/PUT
-- /v1/journeys/{id}/design): the text as a person wrote it (comments, key order), its
-- format, and where each node sits on the canvas. Kept apart from journeys.draft, which stays
-- exactly what the validator accepted; a design may be invalid (nothing typed is lost) and
-- may come before the journey's first draft, hence no foreign key.
CREATE TABLE journey_designs (
    journey_id text PRIMARY KEY,
    source text NOT NULL,
    format text NOT NULL CHECK (format IN ('yaml', 'json')),
    positions jsonb NOT NULL DEFAULT '{}',
    updated_at timestamptz NOT NULL DEFAULT now(),
    updated_by text NOT NULL
);

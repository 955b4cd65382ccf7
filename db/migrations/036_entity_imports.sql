-- Bulk imports of entity records (`wayline import entities TYPE FILE`,
-- `POST /v1/entities/{type}/import`) run the profile import's pipeline and are recorded
-- as its jobs are: the type they wrote to, NULL for a profile import.
ALTER TABLE profile_imports ADD COLUMN entity_type text;

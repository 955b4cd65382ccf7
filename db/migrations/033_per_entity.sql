-- One message per related record (issue 17.4): a campaign's `per` selection, and the record
-- each message of such a campaign was for. Both nullable: every earlier campaign and message
-- has none, and reads as before.
ALTER TABLE campaigns ADD COLUMN per jsonb;
ALTER TABLE messages ADD COLUMN entity_type text, ADD COLUMN entity_key text,
    ADD CONSTRAINT messages_entity_whole CHECK ((entity_type IS NULL) = (entity_key IS NULL));

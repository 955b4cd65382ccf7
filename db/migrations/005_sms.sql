-- SMS: the provider's id of each message, its segment count (GSM-7 or UCS-2) and the
-- delivery status the provider reports later by callback.

ALTER TABLE messages
    ADD COLUMN provider_id      text,
    ADD COLUMN segments         integer,
    ADD COLUMN encoding         text,
    ADD COLUMN delivery_status  text,
    ADD COLUMN delivered_at     timestamptz;

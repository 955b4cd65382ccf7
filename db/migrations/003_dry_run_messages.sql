-- A journey published with dry_run records its sends without performing them.
ALTER TABLE messages DROP CONSTRAINT messages_status_check;
ALTER TABLE messages ADD CONSTRAINT messages_status_check
    CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'skipped', 'dry_run'));

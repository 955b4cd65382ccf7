-- Finding a profile by email (any case) or phone (GET /v1/profiles?q=, the console's profile
-- inspector) scanned every profile; these make it an index lookup. They cost one index entry
-- each per profile write that sets the field.
CREATE INDEX profiles_email_lower ON profiles (lower(email));
CREATE INDEX profiles_phone ON profiles (phone);

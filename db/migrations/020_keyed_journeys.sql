-- Keyed journeys (decision 13): a profile may be in one journey once per key at a time
-- (one abandoned-cart run per cart). The entry ledger records each run's key, encoded as
-- in its workflow id, so the re-entrance rule applies per (journey, profile, key) and the
-- API lists every instance with its key. NULL: an unkeyed journey, as every run before.
-- No new index: the rule's lookup already walks journey_entries_profile (profile, journey),
-- a handful of rows per profile.
ALTER TABLE journey_entries ADD COLUMN entry_key text;

-- The dispatcher and the audience rechecker claim their oldest ready rows:
-- `WHERE leased_until < now() ORDER BY seq LIMIT n`. The (leased_until, seq) indexes cannot
-- give that order, so each claim sorted every ready row: O(backlog) per batch, spilling to
-- disk past ~20,000 rows (17 ms for the dispatcher at 90,000; a bulk import queues millions
-- of rechecks). Walking seq and skipping the leased rows makes a claim O(batch): 1–2 ms.
CREATE INDEX dispatch_queue_by_seq ON dispatch_queue (seq);
CREATE INDEX audience_recheck_by_seq ON audience_recheck (seq);

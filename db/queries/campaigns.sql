-- Campaigns: definitions (api/routes/campaigns.py) and runs (activities/campaign.py).

-- name: insert_campaign
INSERT INTO campaigns (campaign_id, name, kind, audience_id, channel, template, topic,
                       transactional, schedule, delivery, requires_approval, updated_by,
                       orchestration, per)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
ON CONFLICT (campaign_id) DO NOTHING
RETURNING *

-- name: update_campaign
-- Any change withdraws an approval: the approver approved what they saw.
UPDATE campaigns SET name = $2, kind = $3, audience_id = $4, channel = $5, template = $6,
    topic = $7, transactional = $8, schedule = $9, delivery = $10, requires_approval = $11,
    updated_by = $12, orchestration = $13, per = $14, approved_by = NULL, approved_at = NULL,
    updated_at = now()
WHERE campaign_id = $1
RETURNING *

-- name: lock_campaign
SELECT * FROM campaigns WHERE campaign_id = $1 FOR UPDATE

-- name: approve_campaign
UPDATE campaigns SET approved_by = $2, approved_at = now()
WHERE campaign_id = $1
RETURNING *

-- name: get_campaign
SELECT * FROM campaigns WHERE campaign_id = $1

-- name: list_campaigns
SELECT * FROM campaigns ORDER BY campaign_id

-- name: archive_campaign
UPDATE campaigns SET status = 'archived', schedule = NULL, updated_at = now()
WHERE campaign_id = $1
RETURNING campaign_id

-- name: audience_exists
SELECT EXISTS (SELECT 1 FROM audiences WHERE audience_id = $1)

-- name: decision_policies_named
-- Which of the policies $1 exist (a campaign's delivery.decisions).
SELECT array_agg(policy_id) FROM decision_policies WHERE policy_id = ANY($1::text[])

-- name: campaign_template
SELECT name, channel, topic, transactional FROM templates WHERE name = $1

-- name: insert_campaign_run
INSERT INTO campaign_runs (campaign_id, run_id, workflow_id, status)
VALUES ($1, $2, $3, $4)
ON CONFLICT (campaign_id, run_id) DO UPDATE SET
    status = CASE WHEN campaign_runs.status = 'starting' THEN EXCLUDED.status
                  ELSE campaign_runs.status END
RETURNING campaign_id, run_id, workflow_id, status, total, started_at, finished_at

-- name: set_campaign_run_status
UPDATE campaign_runs SET status = $3
WHERE campaign_id = $1 AND run_id = $2 AND finished_at IS NULL
RETURNING status

-- name: set_campaign_run_total
UPDATE campaign_runs SET total = $3 WHERE campaign_id = $1 AND run_id = $2

-- name: finish_campaign_run
UPDATE campaign_runs SET status = $3, total = $4, finished_at = $5
WHERE campaign_id = $1 AND run_id = $2

-- name: fail_cancelled_sends
-- A cancelled run's messages whose provider call never succeeded (the batch was being
-- retried when the cancel came): failed, with the reason, instead of `sending` forever.
UPDATE messages SET status = 'failed', error = 'campaign run cancelled before the send succeeded'
WHERE campaign_id = $1 AND campaign_run = $2 AND status = 'sending'

-- name: finish_campaign_runs
-- finish_campaign_run for the runs a trigger inbox sent together ($2 run ids, $3 totals).
UPDATE campaign_runs r SET status = 'completed', total = f.total, finished_at = $4
FROM unnest($2::text[], $3::int[]) AS f (run_id, total)
WHERE r.campaign_id = $1 AND r.run_id = f.run_id

-- name: get_campaign_run
SELECT campaign_id, run_id, workflow_id, status, total, started_at, finished_at
FROM campaign_runs WHERE campaign_id = $1 AND run_id = $2

-- name: list_campaign_runs
SELECT campaign_id, run_id, workflow_id, status, total, started_at, finished_at
FROM campaign_runs WHERE campaign_id = $1 ORDER BY started_at DESC LIMIT $2

-- name: campaign_run_counts
-- The run's progress from the ledger: one row per (status, reason).
SELECT status, reason, count(*) AS n FROM messages
WHERE campaign_id = $1 AND campaign_run = $2 AND NOT proof
GROUP BY status, reason

-- name: campaign_run_send_time
-- A run with send-time optimisation: the sent messages of each group (optimised, holdout)
-- and how many of them were opened and clicked (as report_send_time counts a journey node's).
SELECT m.send_time AS grp, count(*) AS sent,
       count(*) FILTER (WHERE EXISTS (
           SELECT 1 FROM events e WHERE e.profile_id = m.profile_id
             AND e.name = 'message.opened' AND e.properties->>'message_id' = m.message_id
       )) AS opened,
       count(*) FILTER (WHERE EXISTS (
           SELECT 1 FROM events e WHERE e.profile_id = m.profile_id
             AND e.name = 'message.clicked' AND e.properties->>'message_id' = m.message_id
       )) AS clicked
FROM messages m
WHERE m.campaign_id = $1 AND m.campaign_run = $2 AND m.send_time IS NOT NULL
  AND m.status = 'sent' AND NOT m.proof
GROUP BY m.send_time

-- name: campaign_run_snapshotted
SELECT EXISTS (SELECT 1 FROM campaign_run_members WHERE campaign_id = $1 AND run_id = $2)

-- name: audience_timezones
-- The members' timezones, to plan local-time sends ($1 audience).
SELECT p.timezone, count(*) AS n
FROM audience_members am LEFT JOIN profiles p ON p.profile_id = am.profile_id
WHERE am.audience_id = $1
GROUP BY p.timezone

-- name: listed_timezones
SELECT p.timezone, count(*) AS n
FROM (SELECT DISTINCT unnest($1::text[]) AS profile_id) AS l
LEFT JOIN profiles p ON p.profile_id = l.profile_id
GROUP BY p.timezone

-- name: snapshot_audience
-- The audience as it is now, in send order: by due time, then profile id.
-- $1 campaign, $2 run, $3 audience, $4/$5 timezone → due time (empty: send at once).
INSERT INTO campaign_run_members (campaign_id, run_id, seq, profile_id, due_at)
SELECT $1, $2, (row_number() OVER (ORDER BY d.due_at NULLS FIRST, am.profile_id))::int - 1,
       am.profile_id, d.due_at
FROM audience_members am
LEFT JOIN profiles p ON p.profile_id = am.profile_id
LEFT JOIN unnest($4::text[], $5::timestamptz[]) AS d (tz, due_at)
       ON d.tz IS NOT DISTINCT FROM p.timezone
WHERE am.audience_id = $3

-- name: snapshot_listed
-- snapshot_audience for an API-triggered run: the listed profiles ($3).
INSERT INTO campaign_run_members (campaign_id, run_id, seq, profile_id, due_at)
SELECT $1, $2, (row_number() OVER (ORDER BY d.due_at NULLS FIRST, l.profile_id))::int - 1,
       l.profile_id, d.due_at
FROM (SELECT DISTINCT unnest($3::text[]) AS profile_id) AS l
LEFT JOIN profiles p ON p.profile_id = l.profile_id
LEFT JOIN unnest($4::text[], $5::timestamptz[]) AS d (tz, due_at)
       ON d.tz IS NOT DISTINCT FROM p.timezone

-- name: campaign_run_waves
-- The snapshot cut by due time: each wave is a range of seq.
SELECT due_at, min(seq) AS first_seq, max(seq) + 1 AS end_seq
FROM campaign_run_members WHERE campaign_id = $1 AND run_id = $2
GROUP BY due_at ORDER BY min(seq)

-- name: campaign_batch_members
-- One batch: members $3 <= seq < $4 of the snapshot, keyset on the primary key.
SELECT r.seq, r.profile_id, r.send_time, p.email, p.phone, p.timezone, p.attributes
FROM campaign_run_members r LEFT JOIN profiles p ON p.profile_id = r.profile_id
WHERE r.campaign_id = $1 AND r.run_id = $2 AND r.seq >= $3 AND r.seq < $4
ORDER BY r.seq

-- name: listed_members
-- The profiles an API-triggered run names, each once, unknown ones as empty profiles.
SELECT l.profile_id, p.email, p.phone, p.timezone, p.attributes
FROM (SELECT DISTINCT unnest($1::text[]) AS profile_id) AS l
LEFT JOIN profiles p ON p.profile_id = l.profile_id
ORDER BY l.profile_id

-- name: campaign_not_reacted
-- Of these first messages, those sent and not reacted to ($2: message.opened / .clicked).
SELECT m.message_id FROM messages m
WHERE m.message_id = ANY($1::text[]) AND m.status = 'sent'
  AND NOT EXISTS (SELECT 1 FROM events e
                  WHERE e.profile_id = m.profile_id AND e.name = $2
                    AND e.properties->>'message_id' = m.message_id)

-- name: mark_messages_sent
UPDATE messages SET status = 'sent', sent_at = now(), error = NULL
WHERE message_id = ANY($1::text[]) AND status = 'sending'

-- name: insert_inbox_batch
INSERT INTO inbox (message_id, profile_id, title, body)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])
ON CONFLICT (message_id) DO NOTHING

-- name: mark_campaign_batch_done
-- A per-entity run's batch finished with this many members (once: a retry finds the row).
INSERT INTO campaign_run_batches (campaign_id, run_id, first_seq, members)
VALUES ($1, $2, $3, $4)
ON CONFLICT DO NOTHING

-- name: campaign_run_members_done
-- A per-entity run's members done, two lower bounds: those with a ledger row, and those of
-- its finished batches (which include members without a matching record).
SELECT (SELECT count(DISTINCT profile_id) FROM messages
        WHERE campaign_id = $1 AND campaign_run = $2 AND NOT proof) AS with_messages,
       (SELECT COALESCE(sum(members), 0) FROM campaign_run_batches
        WHERE campaign_id = $1 AND run_id = $2) AS in_batches,
       EXISTS (SELECT 1 FROM messages WHERE campaign_id = $1 AND campaign_run = $2
               AND entity_key IS NOT NULL)
       OR EXISTS (SELECT 1 FROM campaign_run_batches
                  WHERE campaign_id = $1 AND run_id = $2) AS per_entity

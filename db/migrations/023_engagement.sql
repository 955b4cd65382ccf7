-- Send-time optimisation (engagement/): opens and clicks counted per local hour of the week
-- (0 = Monday 00:00 in the profile's time zone), per profile and for everyone, in the
-- transaction that stores the `message.opened` / `message.clicked` event. A row per hour
-- that was seen, so a batch's counts are one upsert and a profile reads at most 168 rows.
CREATE TABLE engagement_hours (
    profile_id  text NOT NULL,
    goal        text NOT NULL CHECK (goal IN ('opened', 'clicked')),
    hour        smallint NOT NULL CHECK (hour BETWEEN 0 AND 167),
    count       integer NOT NULL CHECK (count > 0),
    PRIMARY KEY (profile_id, goal, hour)
);

CREATE TABLE engagement_population (
    goal   text NOT NULL CHECK (goal IN ('opened', 'clicked')),
    hour   smallint NOT NULL CHECK (hour BETWEEN 0 AND 167),
    count  bigint NOT NULL CHECK (count > 0),
    PRIMARY KEY (goal, hour)
);

-- Which side of the uplift measure a journey's optimised send was on: sent at the chosen
-- time, or held out and sent at once (a message node's `send_time.holdout`).
ALTER TABLE messages ADD COLUMN send_time text CHECK (send_time IN ('optimised', 'holdout'));

-- In-app inbox: messages of the `in_app` channel, read by apps per profile.

CREATE TABLE inbox (
    message_id  text PRIMARY KEY,
    profile_id  text NOT NULL,
    title       text,
    body        text NOT NULL,
    status      text NOT NULL DEFAULT 'unread' CHECK (status IN ('unread', 'read', 'archived')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    read_at     timestamptz
);
CREATE INDEX inbox_profile ON inbox (profile_id, created_at DESC, message_id DESC);

-- Alerts on error rates over a sliding window (workers/alerts.py): at most one open alert per
-- (kind, scope); an alert resolves by itself when its rate falls back under the threshold.
CREATE TABLE alerts (
    alert_id              bigserial PRIMARY KEY,
    kind                  text NOT NULL CHECK (kind IN
                              ('action_error_rate', 'message_failure_rate', 'profile_error_rate')),
    scope                 text NOT NULL,
    status                text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
    opened_at             timestamptz NOT NULL DEFAULT now(),
    resolved_at           timestamptz,
    value                 double precision NOT NULL,
    peak                  double precision NOT NULL,
    last_value            double precision NOT NULL,
    threshold             double precision NOT NULL,
    failures              integer NOT NULL,
    samples               integer NOT NULL,
    window_seconds        integer NOT NULL,
    evaluated_at          timestamptz NOT NULL DEFAULT now(),
    notified_open_at      timestamptz,
    notified_resolved_at  timestamptz,
    delivery_attempts     integer NOT NULL DEFAULT 0,
    delivery_error        text
);
CREATE UNIQUE INDEX alerts_one_open ON alerts (kind, scope) WHERE status = 'open';
CREATE INDEX alerts_recent ON alerts (opened_at DESC, alert_id DESC);

-- The windows the evaluator reads: recent calls, sends and journey ends.
CREATE INDEX action_calls_finished ON action_calls (finished_at) WHERE finished_at IS NOT NULL;
CREATE INDEX messages_created ON messages (created_at);
CREATE INDEX journey_entries_ended ON journey_entries (ended_at) WHERE ended_at IS NOT NULL;

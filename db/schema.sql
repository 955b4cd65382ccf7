CREATE SCHEMA entities;
CREATE FUNCTION public.audience_recheck_enqueue() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
DECLARE
    bulk constant bigint := 10000;
    is_bulk boolean;
    queued bigint;
BEGIN
    IF TG_OP = 'DELETE' THEN
        -- An erased profile leaves its audiences; its rechecks are moot.
        DELETE FROM audience_members m USING old_rows o WHERE m.profile_id = o.profile_id;
        DELETE FROM audience_recheck r USING old_rows o WHERE r.profile_id = o.profile_id;
        RETURN NULL;
    END IF;
    is_bulk := (SELECT count(*) FROM new_rows) > bulk;
    IF TG_TABLE_NAME = 'events' THEN
        INSERT INTO audience_recheck (audience_id, profile_id)
        SELECT DISTINCT d.audience_id, CASE WHEN is_bulk THEN '' ELSE n.profile_id END
        FROM new_rows n
        JOIN audience_dependencies d ON d.kind = 'event' AND d.name = n.name
        WHERE n.name NOT LIKE 'audience.%'
        ORDER BY 1, 2
        ON CONFLICT (audience_id, profile_id) DO UPDATE SET seq = nextval('audience_recheck_seq');
    ELSIF TG_OP = 'INSERT' AND is_bulk THEN
        INSERT INTO audience_recheck (audience_id, profile_id)
        SELECT a.audience_id, '' FROM audiences a WHERE a.status = 'active'
        ORDER BY 1
        ON CONFLICT (audience_id, profile_id) DO UPDATE SET seq = nextval('audience_recheck_seq');
    ELSIF TG_OP = 'INSERT' THEN
        -- A new profile can match any audience (`not performed`, `not_exists` ...).
        INSERT INTO audience_recheck (audience_id, profile_id)
        SELECT a.audience_id, n.profile_id
        FROM new_rows n CROSS JOIN audiences a
        WHERE a.status = 'active'
        ORDER BY 1, 2
        ON CONFLICT (audience_id, profile_id) DO UPDATE SET seq = nextval('audience_recheck_seq');
    ELSE
        INSERT INTO audience_recheck (audience_id, profile_id)
        SELECT DISTINCT d.audience_id, CASE WHEN is_bulk THEN '' ELSE n.profile_id END
        FROM new_rows n
        JOIN old_rows o ON o.profile_id = n.profile_id
        JOIN audience_dependencies d ON
            (d.kind = 'attribute' AND (o.attributes -> d.name) IS DISTINCT FROM (n.attributes -> d.name))
            OR (d.kind = 'field' AND d.name = 'email' AND o.email IS DISTINCT FROM n.email)
            OR (d.kind = 'field' AND d.name = 'phone' AND o.phone IS DISTINCT FROM n.phone)
            OR (d.kind = 'field' AND d.name = 'timezone' AND o.timezone IS DISTINCT FROM n.timezone)
        ORDER BY 1, 2
        ON CONFLICT (audience_id, profile_id) DO UPDATE SET seq = nextval('audience_recheck_seq');
    END IF;
    GET DIAGNOSTICS queued = ROW_COUNT;
    IF queued > 0 THEN
        PERFORM pg_notify('wayline_audiences', '');
    END IF;
    RETURN NULL;
END
$$;
CREATE FUNCTION public.bump_decision_catalog() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    UPDATE decision_catalog SET version = version + 1;
    RETURN NULL;
END $$;
CREATE FUNCTION public.entity_audience_enqueue() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
DECLARE
    bulk constant bigint := 10000;
    path text;
    steps text[];
    step text[];
    reached text;
    ids text[];
    queued bigint := 0;
    n bigint;
BEGIN
    FOR path IN
        SELECT DISTINCT d.name FROM audience_dependencies d
        WHERE d.kind = 'entity' AND split_part(split_part(d.name, '/', 1), '.', 1) = TG_ARGV[0]
        ORDER BY 1
    LOOP
        steps := string_to_array(path, '/');
        step := string_to_array(steps[1], '.');
        IF TG_OP = 'INSERT' THEN
            reached := format('SELECT %I AS v FROM new_rows', step[2]);
        ELSIF TG_OP = 'DELETE' THEN
            reached := format('SELECT %I AS v FROM old_rows', step[2]);
        ELSE
            reached := format('SELECT %I AS v FROM new_rows UNION SELECT %I FROM old_rows',
                              step[2], step[2]);
        END IF;
        FOR i IN 2 .. coalesce(array_length(steps, 1), 1) LOOP
            step := string_to_array(steps[i], '.');
            reached := format('SELECT x.%I AS v FROM %I.%I x WHERE x.%I IN (%s)',
                              step[3], 'entities', 'e_' || step[1], step[2], reached);
        END LOOP;
        EXECUTE format('SELECT array_agg(DISTINCT r.v::text) FROM (%s) r WHERE r.v IS NOT NULL',
                       reached) INTO ids;
        CONTINUE WHEN ids IS NULL;
        IF cardinality(ids) > bulk THEN
            ids := ARRAY[''];
        END IF;
        INSERT INTO audience_recheck (audience_id, profile_id)
        SELECT d.audience_id, i.id
        FROM audience_dependencies d CROSS JOIN unnest(ids) AS i(id)
        WHERE d.kind = 'entity' AND d.name = path
        ORDER BY 1, 2
        ON CONFLICT (audience_id, profile_id) DO UPDATE SET seq = nextval('audience_recheck_seq');
        GET DIAGNOSTICS n = ROW_COUNT;
        queued := queued + n;
    END LOOP;
    IF queued > 0 THEN
        PERFORM pg_notify('wayline_audiences', '');
    END IF;
    RETURN NULL;
END
$$;
CREATE FUNCTION public.take_caps_and_propose(p_proposition_id text, p_policy_id text, p_request_id text, p_profile_id text, p_offers jsonb, p_fallback boolean, p_cap_hits text[], p_created_at timestamp with time zone, p_proposed text[], p_shard smallint, p_shards smallint, c_offer text[], c_scope text[], c_window bigint[], c_limit integer[], c_take boolean[], OUT lost text[], OUT exhausted text[]) RETURNS record
    LANGUAGE plpgsql
    AS $$
DECLARE
    t_offer text[] := '{}';
    t_scope text[] := '{}';
    t_window bigint[] := '{}';
    t_shard smallint[] := '{}';
    summed bigint;
    part integer;
    got integer;
    s smallint;
BEGIN
    lost := '{}';
    exhausted := '{}';
    IF EXISTS (SELECT 1 FROM propositions
               WHERE policy_id = p_policy_id AND request_id = p_request_id) THEN
        lost := NULL;
        RETURN;
    END IF;
    FOR i IN 1 .. coalesce(array_length(c_offer, 1), 0) LOOP
        CONTINUE WHEN c_offer[i] = ANY (lost);
        got := NULL;
        summed := 0;
        IF c_scope[i] = '' OR NOT c_take[i] THEN
            SELECT coalesce(sum(count), 0) INTO summed FROM offer_counters
            WHERE offer_id = c_offer[i] AND scope = c_scope[i] AND window_start = c_window[i];
        END IF;
        IF summed < c_limit[i] AND NOT c_take[i] THEN
            CONTINUE;
        ELSIF summed < c_limit[i] THEN
            FOR k IN 0 .. CASE WHEN c_scope[i] = '' THEN p_shards - 1 ELSE 0 END LOOP
                s := CASE WHEN c_scope[i] = '' THEN (p_shard + k) % p_shards ELSE 0 END;
                part := CASE WHEN c_scope[i] = ''
                             THEN c_limit[i] / p_shards + (s < c_limit[i] % p_shards)::int
                             ELSE c_limit[i] END;
                CONTINUE WHEN part = 0;
                INSERT INTO offer_counters AS c (offer_id, scope, window_start, shard, count)
                VALUES (c_offer[i], c_scope[i], c_window[i], s, 1)
                ON CONFLICT (offer_id, scope, window_start, shard)
                DO UPDATE SET count = c.count + 1 WHERE c.count < part
                RETURNING c.count INTO got;
                IF got IS NOT NULL THEN
                    t_offer := t_offer || c_offer[i];
                    t_scope := t_scope || c_scope[i];
                    t_window := t_window || c_window[i];
                    t_shard := t_shard || s;
                    EXIT;
                END IF;
            END LOOP;
        END IF;
        IF got IS NULL THEN
            lost := lost || c_offer[i];
            IF c_scope[i] = '' THEN
                exhausted := exhausted || c_offer[i];
            END IF;
        END IF;
    END LOOP;
    IF cardinality(lost) > 0 THEN
        FOR j IN 1 .. cardinality(t_offer) LOOP
            UPDATE offer_counters SET count = count - 1
            WHERE offer_id = t_offer[j] AND scope = t_scope[j] AND window_start = t_window[j]
              AND shard = t_shard[j];
        END LOOP;
        RETURN;
    END IF;
    INSERT INTO propositions (proposition_id, policy_id, request_id, profile_id, offers,
                              fallback, cap_hits, created_at)
    VALUES (p_proposition_id, p_policy_id, p_request_id, p_profile_id, p_offers, p_fallback,
            p_cap_hits, p_created_at);
    INSERT INTO decision_offer_stats AS st (policy_id, offer_id, shard, propositions, cap_hits)
    SELECT p_policy_id, offer_id, p_shard, sum(proposed), sum(capped)
    FROM (SELECT unnest(p_proposed) AS offer_id, 1 AS proposed, 0 AS capped
          UNION ALL SELECT unnest(p_cap_hits), 0, 1) AS t
    GROUP BY offer_id
    ORDER BY offer_id
    ON CONFLICT (policy_id, offer_id, shard) DO UPDATE SET
        propositions = st.propositions + EXCLUDED.propositions,
        cap_hits = st.cap_hits + EXCLUDED.cap_hits;
END
$$;
CREATE TABLE public.action_calls (
    call_id text NOT NULL,
    kind text NOT NULL,
    name text NOT NULL,
    profile_id text NOT NULL,
    journey_id text,
    version integer,
    node_id text,
    status text NOT NULL,
    request jsonb,
    response jsonb,
    error text,
    attempts integer DEFAULT 0 NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    finished_at timestamp with time zone,
    CONSTRAINT action_calls_kind_check CHECK ((kind = ANY (ARRAY['action'::text, 'fetch'::text]))),
    CONSTRAINT action_calls_status_check CHECK ((status = ANY (ARRAY['pending'::text, 'succeeded'::text, 'failed'::text, 'dry_run'::text])))
);
CREATE TABLE public.actions (
    name text NOT NULL,
    spec jsonb NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.alerts (
    alert_id bigint NOT NULL,
    kind text NOT NULL,
    scope text NOT NULL,
    status text DEFAULT 'open'::text NOT NULL,
    opened_at timestamp with time zone DEFAULT now() NOT NULL,
    resolved_at timestamp with time zone,
    value double precision NOT NULL,
    peak double precision NOT NULL,
    last_value double precision NOT NULL,
    threshold double precision NOT NULL,
    failures integer NOT NULL,
    samples integer NOT NULL,
    window_seconds integer NOT NULL,
    evaluated_at timestamp with time zone DEFAULT now() NOT NULL,
    notified_open_at timestamp with time zone,
    notified_resolved_at timestamp with time zone,
    delivery_attempts integer DEFAULT 0 NOT NULL,
    delivery_error text,
    CONSTRAINT alerts_kind_check CHECK ((kind = ANY (ARRAY['action_error_rate'::text, 'message_failure_rate'::text, 'profile_error_rate'::text]))),
    CONSTRAINT alerts_status_check CHECK ((status = ANY (ARRAY['open'::text, 'resolved'::text])))
);
CREATE SEQUENCE public.alerts_alert_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE public.alerts_alert_id_seq OWNED BY public.alerts.alert_id;
CREATE TABLE public.api_keys (
    id uuid NOT NULL,
    name text NOT NULL,
    prefix text NOT NULL,
    key_hash text NOT NULL,
    scopes text[] NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    revoked_at timestamp with time zone
);
CREATE TABLE public.audience_changes (
    id bigint NOT NULL,
    audience_id text NOT NULL,
    profile_id text NOT NULL,
    change text NOT NULL,
    at timestamp with time zone DEFAULT now() NOT NULL,
    txid xid8 DEFAULT pg_current_xact_id(),
    CONSTRAINT audience_changes_change_check CHECK ((change = ANY (ARRAY['entered'::text, 'exited'::text])))
);
CREATE SEQUENCE public.audience_changes_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE public.audience_changes_id_seq OWNED BY public.audience_changes.id;
CREATE TABLE public.audience_dependencies (
    audience_id text NOT NULL,
    kind text NOT NULL,
    name text NOT NULL,
    CONSTRAINT audience_dependencies_kind_check CHECK ((kind = ANY (ARRAY['attribute'::text, 'field'::text, 'event'::text, 'entity'::text])))
);
CREATE TABLE public.audience_members (
    audience_id text NOT NULL,
    profile_id text NOT NULL,
    entered_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE SEQUENCE public.audience_recheck_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
CREATE TABLE public.audience_recheck (
    audience_id text NOT NULL,
    profile_id text NOT NULL,
    seq bigint DEFAULT nextval('public.audience_recheck_seq'::regclass) NOT NULL,
    leased_until timestamp with time zone DEFAULT '-infinity'::timestamp with time zone NOT NULL
);
CREATE TABLE public.audience_run_members (
    run_key text NOT NULL,
    profile_id text NOT NULL
);
CREATE TABLE public.audience_runs (
    run_key text NOT NULL,
    journey_id text NOT NULL,
    audience_id text NOT NULL,
    started_at timestamp with time zone DEFAULT now() NOT NULL,
    members integer NOT NULL,
    signalled integer DEFAULT 0 NOT NULL,
    filtered integer DEFAULT 0 NOT NULL,
    status text DEFAULT 'running'::text NOT NULL,
    finished_at timestamp with time zone,
    CONSTRAINT audience_runs_status_check CHECK ((status = ANY (ARRAY['running'::text, 'completed'::text, 'stopped'::text])))
);
CREATE TABLE public.audiences (
    audience_id text NOT NULL,
    name text NOT NULL,
    description text,
    definition jsonb NOT NULL,
    time_relative boolean DEFAULT false NOT NULL,
    status text DEFAULT 'active'::text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    evaluated_at timestamp with time zone,
    CONSTRAINT audiences_status_check CHECK ((status = ANY (ARRAY['active'::text, 'archived'::text])))
);
CREATE TABLE public.campaign_run_batches (
    campaign_id text NOT NULL,
    run_id text NOT NULL,
    first_seq integer NOT NULL,
    members integer NOT NULL,
    finished_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT campaign_run_batches_members_check CHECK ((members >= 0))
);
CREATE TABLE public.campaign_run_members (
    campaign_id text NOT NULL,
    run_id text NOT NULL,
    seq integer NOT NULL,
    profile_id text NOT NULL,
    due_at timestamp with time zone,
    send_time text,
    CONSTRAINT campaign_run_members_send_time_check CHECK ((send_time = ANY (ARRAY['optimised'::text, 'holdout'::text])))
);
CREATE TABLE public.campaign_runs (
    campaign_id text NOT NULL,
    run_id text NOT NULL,
    workflow_id text NOT NULL,
    status text DEFAULT 'starting'::text NOT NULL,
    total integer,
    started_at timestamp with time zone DEFAULT now() NOT NULL,
    finished_at timestamp with time zone,
    CONSTRAINT campaign_runs_status_check CHECK ((status = ANY (ARRAY['starting'::text, 'running'::text, 'paused'::text, 'completed'::text, 'cancelled'::text, 'failed'::text])))
);
CREATE TABLE public.campaigns (
    campaign_id text NOT NULL,
    name text NOT NULL,
    kind text DEFAULT 'action'::text NOT NULL,
    audience_id text,
    channel text NOT NULL,
    template text NOT NULL,
    topic text,
    transactional boolean DEFAULT false NOT NULL,
    schedule jsonb,
    delivery jsonb DEFAULT '{}'::jsonb NOT NULL,
    status text DEFAULT 'active'::text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    requires_approval boolean DEFAULT false NOT NULL,
    updated_by uuid,
    approved_by uuid,
    approved_at timestamp with time zone,
    orchestration jsonb,
    per jsonb,
    CONSTRAINT campaigns_kind_check CHECK ((kind = ANY (ARRAY['action'::text, 'triggered'::text, 'orchestrated'::text]))),
    CONSTRAINT campaigns_status_check CHECK ((status = ANY (ARRAY['active'::text, 'archived'::text])))
);
CREATE TABLE public.data_sources (
    name text NOT NULL,
    spec jsonb NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.decision_catalog (
    only_row boolean DEFAULT true NOT NULL,
    version bigint NOT NULL,
    CONSTRAINT decision_catalog_only_row_check CHECK (only_row)
);
CREATE TABLE public.decision_offer_stats (
    policy_id text NOT NULL,
    offer_id text NOT NULL,
    propositions bigint DEFAULT 0 NOT NULL,
    goals bigint DEFAULT 0 NOT NULL,
    cap_hits bigint DEFAULT 0 NOT NULL,
    shard smallint DEFAULT 0 NOT NULL
);
CREATE TABLE public.decision_policies (
    policy_id text NOT NULL,
    definition jsonb NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.destination_exports (
    export_id text NOT NULL,
    destination text NOT NULL,
    kind text NOT NULL,
    run_id text,
    status text NOT NULL,
    started_at timestamp with time zone DEFAULT now() NOT NULL,
    finished_at timestamp with time zone,
    rows bigint DEFAULT 0 NOT NULL,
    bytes bigint DEFAULT 0 NOT NULL,
    attempts integer DEFAULT 1 NOT NULL,
    error text,
    location text,
    from_txid xid8,
    from_id bigint,
    to_txid xid8,
    to_id bigint,
    CONSTRAINT destination_exports_kind_check CHECK ((kind = ANY (ARRAY['run'::text, 'batch'::text]))),
    CONSTRAINT destination_exports_status_check CHECK ((status = ANY (ARRAY['running'::text, 'succeeded'::text, 'failed'::text])))
);
CREATE TABLE public.destinations (
    name text NOT NULL,
    kind text NOT NULL,
    spec jsonb NOT NULL,
    cursor_txid xid8 DEFAULT pg_snapshot_xmin(pg_current_snapshot()) NOT NULL,
    cursor_id bigint DEFAULT 0 NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT destinations_kind_check CHECK ((kind = ANY (ARRAY['stream_http'::text, 'file'::text, 'ad_audience'::text])))
);
CREATE SEQUENCE public.dispatch_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
CREATE TABLE public.dispatch_queue (
    profile_id text NOT NULL,
    seq bigint DEFAULT nextval('public.dispatch_seq'::regclass) NOT NULL,
    leased_until timestamp with time zone DEFAULT '-infinity'::timestamp with time zone NOT NULL
);
CREATE TABLE public.engagement_hours (
    profile_id text NOT NULL,
    goal text NOT NULL,
    hour smallint NOT NULL,
    count integer NOT NULL,
    CONSTRAINT engagement_hours_count_check CHECK ((count > 0)),
    CONSTRAINT engagement_hours_goal_check CHECK ((goal = ANY (ARRAY['opened'::text, 'clicked'::text]))),
    CONSTRAINT engagement_hours_hour_check CHECK (((hour >= 0) AND (hour <= 167)))
);
CREATE TABLE public.engagement_population (
    goal text NOT NULL,
    hour smallint NOT NULL,
    count bigint NOT NULL,
    CONSTRAINT engagement_population_count_check CHECK ((count > 0)),
    CONSTRAINT engagement_population_goal_check CHECK ((goal = ANY (ARRAY['opened'::text, 'clicked'::text]))),
    CONSTRAINT engagement_population_hour_check CHECK (((hour >= 0) AND (hour <= 167)))
);
CREATE TABLE public.entity_types (
    name text NOT NULL,
    definition jsonb NOT NULL,
    version integer DEFAULT 1 NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.events (
    id bigint NOT NULL,
    event_id text NOT NULL,
    name text NOT NULL,
    profile_id text NOT NULL,
    ts timestamp with time zone NOT NULL,
    properties jsonb DEFAULT '{}'::jsonb NOT NULL,
    received_at timestamp with time zone DEFAULT now() NOT NULL,
    dispatched_at timestamp with time zone,
    traceparent text
);
CREATE SEQUENCE public.events_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE public.events_id_seq OWNED BY public.events.id;
CREATE TABLE public.experiment_assignments (
    run_id text NOT NULL,
    node_id text NOT NULL,
    journey_id text NOT NULL,
    version integer NOT NULL,
    profile_id text NOT NULL,
    variant text NOT NULL,
    assigned_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.fragment_uses (
    user_kind text NOT NULL,
    user_name text NOT NULL,
    fragment text NOT NULL,
    CONSTRAINT fragment_uses_user_kind_check CHECK ((user_kind = ANY (ARRAY['template'::text, 'fragment'::text])))
);
CREATE TABLE public.fragment_versions (
    name text NOT NULL,
    version integer NOT NULL,
    description text,
    body text NOT NULL,
    locales jsonb NOT NULL,
    saved_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.fragments (
    name text NOT NULL,
    description text,
    body text NOT NULL,
    locales jsonb DEFAULT '{}'::jsonb NOT NULL,
    version integer DEFAULT 1 NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.frequency_caps (
    channel text NOT NULL,
    max_messages integer NOT NULL,
    period interval NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT frequency_caps_max_messages_check CHECK ((max_messages >= 0))
);
CREATE TABLE public.inbox (
    message_id text NOT NULL,
    profile_id text NOT NULL,
    title text,
    body text NOT NULL,
    status text DEFAULT 'unread'::text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    read_at timestamp with time zone,
    CONSTRAINT inbox_status_check CHECK ((status = ANY (ARRAY['unread'::text, 'read'::text, 'archived'::text])))
);
CREATE TABLE public.journey_designs (
    journey_id text NOT NULL,
    source text NOT NULL,
    format text NOT NULL,
    positions jsonb DEFAULT '{}'::jsonb NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_by text NOT NULL,
    CONSTRAINT journey_designs_format_check CHECK ((format = ANY (ARRAY['yaml'::text, 'json'::text])))
);
CREATE TABLE public.journey_entries (
    run_id text NOT NULL,
    workflow_id text NOT NULL,
    journey_id text NOT NULL,
    version integer NOT NULL,
    profile_id text NOT NULL,
    entered_at timestamp with time zone NOT NULL,
    ended_at timestamp with time zone,
    status text DEFAULT 'active'::text NOT NULL,
    reason text,
    entry_event_id text,
    entry_key text
);
CREATE TABLE public.journey_migration_runs (
    migration_id uuid NOT NULL,
    run_id text NOT NULL,
    moved_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.journey_migrations (
    migration_id uuid NOT NULL,
    journey_id text NOT NULL,
    from_version integer NOT NULL,
    to_version integer NOT NULL,
    key_id uuid NOT NULL,
    key_name text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    mapping jsonb NOT NULL,
    request jsonb NOT NULL,
    moved integer NOT NULL,
    skipped integer NOT NULL,
    failed integer NOT NULL
);
CREATE TABLE public.journey_steps (
    run_id text NOT NULL,
    node_id text NOT NULL,
    visit integer NOT NULL,
    workflow_id text NOT NULL,
    journey_id text NOT NULL,
    version integer NOT NULL,
    profile_id text NOT NULL,
    node_type text NOT NULL,
    entered_at timestamp with time zone NOT NULL,
    seq integer,
    left_at timestamp with time zone,
    outcome text,
    detail text,
    checks jsonb DEFAULT '[]'::jsonb NOT NULL,
    recorded_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT journey_steps_outcome_check CHECK ((outcome = ANY (ARRAY['exited'::text, 'exit_criteria'::text, 'errored'::text, 'timed_out'::text])))
);
CREATE TABLE public.journey_versions (
    journey_id text NOT NULL,
    version integer NOT NULL,
    definition jsonb NOT NULL,
    published_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.journeys (
    journey_id text NOT NULL,
    name text NOT NULL,
    draft jsonb,
    draft_updated_at timestamp with time zone,
    status text DEFAULT 'draft'::text NOT NULL,
    live_version integer,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    requires_approval boolean DEFAULT false NOT NULL,
    draft_updated_by uuid,
    approval_requested_by uuid,
    approval_requested_at timestamp with time zone,
    approved_by uuid,
    approved_at timestamp with time zone,
    approval_draft_at timestamp with time zone,
    CONSTRAINT journeys_status_check CHECK ((status = ANY (ARRAY['draft'::text, 'live'::text, 'stopped'::text])))
);
CREATE TABLE public.messages (
    message_id text NOT NULL,
    profile_id text NOT NULL,
    journey_id text,
    version integer,
    node_id text,
    workflow_id text,
    channel text NOT NULL,
    template text NOT NULL,
    status text NOT NULL,
    recipient text,
    subject text,
    body text,
    error text,
    attempts integer DEFAULT 0 NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    sent_at timestamp with time zone,
    reason text,
    transactional boolean DEFAULT false NOT NULL,
    provider_id text,
    segments integer,
    encoding text,
    delivery_status text,
    delivered_at timestamp with time zone,
    erased_at timestamp with time zone,
    campaign_id text,
    campaign_run text,
    deferred_until timestamp with time zone,
    locale text,
    proof boolean DEFAULT false NOT NULL,
    send_time text,
    entity_type text,
    entity_key text,
    CONSTRAINT messages_entity_whole CHECK (((entity_type IS NULL) = (entity_key IS NULL))),
    CONSTRAINT messages_send_time_check CHECK ((send_time = ANY (ARRAY['optimised'::text, 'holdout'::text]))),
    CONSTRAINT messages_status_check CHECK ((status = ANY (ARRAY['pending'::text, 'sending'::text, 'sent'::text, 'failed'::text, 'skipped'::text, 'dry_run'::text, 'deferred'::text])))
);
CREATE TABLE public.offer_counters (
    offer_id text NOT NULL,
    scope text NOT NULL,
    window_start bigint NOT NULL,
    count integer NOT NULL,
    shard smallint DEFAULT 0 NOT NULL
);
CREATE TABLE public.offers (
    offer_id text NOT NULL,
    definition jsonb NOT NULL,
    cap_on text DEFAULT 'proposed'::text NOT NULL,
    profile_cap integer,
    profile_period_s bigint,
    total_cap integer,
    total_period_s bigint,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT offers_cap_on_check CHECK ((cap_on = ANY (ARRAY['proposed'::text, 'displayed'::text, 'clicked'::text])))
);
CREATE TABLE public.placements (
    placement_id text NOT NULL,
    name text NOT NULL,
    channel text NOT NULL,
    content_type text NOT NULL,
    description text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT placements_content_type_check CHECK ((content_type = ANY (ARRAY['text'::text, 'html'::text, 'json'::text, 'image_url'::text])))
);
CREATE TABLE public.profile_aliases (
    alias_id text NOT NULL,
    profile_id text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.profile_erasures (
    id bigint NOT NULL,
    profile_hash text NOT NULL,
    erased_at timestamp with time zone DEFAULT now() NOT NULL,
    key_id uuid,
    key_name text,
    counts jsonb NOT NULL
);
CREATE SEQUENCE public.profile_erasures_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE public.profile_erasures_id_seq OWNED BY public.profile_erasures.id;
CREATE UNLOGGED TABLE public.profile_import_rows (
    line bigint NOT NULL,
    profile_id text NOT NULL,
    email text,
    phone text,
    timezone text,
    unset text[],
    attributes text NOT NULL,
    removed text[],
    CONSTRAINT profile_import_rows_template_only CHECK (false)
);
CREATE TABLE public.profile_imports (
    id uuid NOT NULL,
    status text DEFAULT 'running'::text NOT NULL,
    format text NOT NULL,
    source text NOT NULL,
    filename text,
    dry_run boolean DEFAULT false NOT NULL,
    bytes_read bigint DEFAULT 0 NOT NULL,
    rows_read bigint DEFAULT 0 NOT NULL,
    rows_valid bigint DEFAULT 0 NOT NULL,
    rows_failed bigint DEFAULT 0 NOT NULL,
    duplicates bigint DEFAULT 0 NOT NULL,
    created bigint DEFAULT 0 NOT NULL,
    updated bigint DEFAULT 0 NOT NULL,
    unchanged bigint DEFAULT 0 NOT NULL,
    error_count bigint DEFAULT 0 NOT NULL,
    errors jsonb DEFAULT '[]'::jsonb NOT NULL,
    error text,
    started_at timestamp with time zone DEFAULT now() NOT NULL,
    finished_at timestamp with time zone,
    entity_type text,
    CONSTRAINT profile_imports_format_check CHECK ((format = ANY (ARRAY['csv'::text, 'ndjson'::text]))),
    CONSTRAINT profile_imports_source_check CHECK ((source = ANY (ARRAY['api'::text, 'cli'::text]))),
    CONSTRAINT profile_imports_status_check CHECK ((status = ANY (ARRAY['running'::text, 'succeeded'::text, 'failed'::text])))
);
CREATE TABLE public.profile_updates (
    update_id text NOT NULL,
    profile_id text NOT NULL,
    applied_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.profiles (
    profile_id text NOT NULL,
    email text,
    phone text,
    timezone text,
    attributes jsonb DEFAULT '{}'::jsonb NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.proposition_events (
    proposition_id text NOT NULL,
    offer_id text NOT NULL,
    name text NOT NULL,
    event_id text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.propositions (
    proposition_id text NOT NULL,
    policy_id text NOT NULL,
    request_id text NOT NULL,
    profile_id text NOT NULL,
    offers jsonb NOT NULL,
    fallback boolean NOT NULL,
    cap_hits text[] DEFAULT '{}'::text[] NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.subscriptions (
    profile_id text NOT NULL,
    channel text NOT NULL,
    topic text,
    status text NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT subscriptions_status_check CHECK ((status = ANY (ARRAY['subscribed'::text, 'unsubscribed'::text])))
);
CREATE TABLE public.suppressions (
    channel text NOT NULL,
    address text NOT NULL,
    reason text NOT NULL,
    note text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT suppressions_reason_check CHECK ((reason = ANY (ARRAY['hard_bounce'::text, 'complaint'::text, 'manual'::text])))
);
CREATE TABLE public.templates (
    name text NOT NULL,
    channel text NOT NULL,
    subject text,
    body text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    topic text,
    transactional boolean DEFAULT false NOT NULL,
    html text,
    locales jsonb DEFAULT '{}'::jsonb NOT NULL
);
ALTER TABLE ONLY public.alerts ALTER COLUMN alert_id SET DEFAULT nextval('public.alerts_alert_id_seq'::regclass);
ALTER TABLE ONLY public.audience_changes ALTER COLUMN id SET DEFAULT nextval('public.audience_changes_id_seq'::regclass);
ALTER TABLE ONLY public.events ALTER COLUMN id SET DEFAULT nextval('public.events_id_seq'::regclass);
ALTER TABLE ONLY public.profile_erasures ALTER COLUMN id SET DEFAULT nextval('public.profile_erasures_id_seq'::regclass);
ALTER TABLE ONLY public.action_calls
    ADD CONSTRAINT action_calls_pkey PRIMARY KEY (call_id);
ALTER TABLE ONLY public.actions
    ADD CONSTRAINT actions_pkey PRIMARY KEY (name);
ALTER TABLE ONLY public.alerts
    ADD CONSTRAINT alerts_pkey PRIMARY KEY (alert_id);
ALTER TABLE ONLY public.api_keys
    ADD CONSTRAINT api_keys_key_hash_key UNIQUE (key_hash);
ALTER TABLE ONLY public.api_keys
    ADD CONSTRAINT api_keys_pkey PRIMARY KEY (id);
ALTER TABLE ONLY public.audience_changes
    ADD CONSTRAINT audience_changes_pkey PRIMARY KEY (id);
ALTER TABLE ONLY public.audience_dependencies
    ADD CONSTRAINT audience_dependencies_pkey PRIMARY KEY (kind, name, audience_id);
ALTER TABLE ONLY public.audience_members
    ADD CONSTRAINT audience_members_pkey PRIMARY KEY (audience_id, profile_id);
ALTER TABLE ONLY public.audience_recheck
    ADD CONSTRAINT audience_recheck_pkey PRIMARY KEY (audience_id, profile_id);
ALTER TABLE ONLY public.audience_run_members
    ADD CONSTRAINT audience_run_members_pkey PRIMARY KEY (run_key, profile_id);
ALTER TABLE ONLY public.audience_runs
    ADD CONSTRAINT audience_runs_pkey PRIMARY KEY (run_key);
ALTER TABLE ONLY public.audiences
    ADD CONSTRAINT audiences_pkey PRIMARY KEY (audience_id);
ALTER TABLE ONLY public.campaign_run_batches
    ADD CONSTRAINT campaign_run_batches_pkey PRIMARY KEY (campaign_id, run_id, first_seq);
ALTER TABLE ONLY public.campaign_run_members
    ADD CONSTRAINT campaign_run_members_pkey PRIMARY KEY (campaign_id, run_id, seq);
ALTER TABLE ONLY public.campaign_runs
    ADD CONSTRAINT campaign_runs_pkey PRIMARY KEY (campaign_id, run_id);
ALTER TABLE ONLY public.campaigns
    ADD CONSTRAINT campaigns_pkey PRIMARY KEY (campaign_id);
ALTER TABLE ONLY public.data_sources
    ADD CONSTRAINT data_sources_pkey PRIMARY KEY (name);
ALTER TABLE ONLY public.decision_catalog
    ADD CONSTRAINT decision_catalog_pkey PRIMARY KEY (only_row);
ALTER TABLE ONLY public.decision_offer_stats
    ADD CONSTRAINT decision_offer_stats_pkey PRIMARY KEY (policy_id, offer_id, shard);
ALTER TABLE ONLY public.decision_policies
    ADD CONSTRAINT decision_policies_pkey PRIMARY KEY (policy_id);
ALTER TABLE ONLY public.destination_exports
    ADD CONSTRAINT destination_exports_pkey PRIMARY KEY (export_id);
ALTER TABLE ONLY public.destinations
    ADD CONSTRAINT destinations_pkey PRIMARY KEY (name);
ALTER TABLE ONLY public.dispatch_queue
    ADD CONSTRAINT dispatch_queue_pkey PRIMARY KEY (profile_id);
ALTER TABLE ONLY public.engagement_hours
    ADD CONSTRAINT engagement_hours_pkey PRIMARY KEY (profile_id, goal, hour);
ALTER TABLE ONLY public.engagement_population
    ADD CONSTRAINT engagement_population_pkey PRIMARY KEY (goal, hour);
ALTER TABLE ONLY public.entity_types
    ADD CONSTRAINT entity_types_pkey PRIMARY KEY (name);
ALTER TABLE ONLY public.events
    ADD CONSTRAINT events_event_id_key UNIQUE (event_id);
ALTER TABLE ONLY public.events
    ADD CONSTRAINT events_pkey PRIMARY KEY (id);
ALTER TABLE ONLY public.experiment_assignments
    ADD CONSTRAINT experiment_assignments_pkey PRIMARY KEY (run_id, node_id);
ALTER TABLE ONLY public.fragment_uses
    ADD CONSTRAINT fragment_uses_pkey PRIMARY KEY (user_kind, user_name, fragment);
ALTER TABLE ONLY public.fragment_versions
    ADD CONSTRAINT fragment_versions_pkey PRIMARY KEY (name, version);
ALTER TABLE ONLY public.fragments
    ADD CONSTRAINT fragments_pkey PRIMARY KEY (name);
ALTER TABLE ONLY public.frequency_caps
    ADD CONSTRAINT frequency_caps_pkey PRIMARY KEY (channel);
ALTER TABLE ONLY public.inbox
    ADD CONSTRAINT inbox_pkey PRIMARY KEY (message_id);
ALTER TABLE ONLY public.journey_designs
    ADD CONSTRAINT journey_designs_pkey PRIMARY KEY (journey_id);
ALTER TABLE ONLY public.journey_entries
    ADD CONSTRAINT journey_entries_pkey PRIMARY KEY (run_id);
ALTER TABLE ONLY public.journey_migration_runs
    ADD CONSTRAINT journey_migration_runs_pkey PRIMARY KEY (migration_id, run_id);
ALTER TABLE ONLY public.journey_migrations
    ADD CONSTRAINT journey_migrations_pkey PRIMARY KEY (migration_id);
ALTER TABLE ONLY public.journey_steps
    ADD CONSTRAINT journey_steps_pkey PRIMARY KEY (run_id, node_id, visit);
ALTER TABLE ONLY public.journey_versions
    ADD CONSTRAINT journey_versions_pkey PRIMARY KEY (journey_id, version);
ALTER TABLE ONLY public.journeys
    ADD CONSTRAINT journeys_pkey PRIMARY KEY (journey_id);
ALTER TABLE ONLY public.messages
    ADD CONSTRAINT messages_pkey PRIMARY KEY (message_id);
ALTER TABLE ONLY public.offer_counters
    ADD CONSTRAINT offer_counters_pkey PRIMARY KEY (offer_id, scope, window_start, shard);
ALTER TABLE ONLY public.offers
    ADD CONSTRAINT offers_pkey PRIMARY KEY (offer_id);
ALTER TABLE ONLY public.placements
    ADD CONSTRAINT placements_pkey PRIMARY KEY (placement_id);
ALTER TABLE ONLY public.profile_aliases
    ADD CONSTRAINT profile_aliases_pkey PRIMARY KEY (alias_id);
ALTER TABLE ONLY public.profile_erasures
    ADD CONSTRAINT profile_erasures_pkey PRIMARY KEY (id);
ALTER TABLE ONLY public.profile_imports
    ADD CONSTRAINT profile_imports_pkey PRIMARY KEY (id);
ALTER TABLE ONLY public.profile_updates
    ADD CONSTRAINT profile_updates_pkey PRIMARY KEY (update_id);
ALTER TABLE ONLY public.profiles
    ADD CONSTRAINT profiles_pkey PRIMARY KEY (profile_id);
ALTER TABLE ONLY public.proposition_events
    ADD CONSTRAINT proposition_events_pkey PRIMARY KEY (proposition_id, offer_id, name);
ALTER TABLE ONLY public.propositions
    ADD CONSTRAINT propositions_pkey PRIMARY KEY (proposition_id);
ALTER TABLE ONLY public.propositions
    ADD CONSTRAINT propositions_policy_id_request_id_key UNIQUE (policy_id, request_id);
ALTER TABLE ONLY public.subscriptions
    ADD CONSTRAINT subscriptions_profile_id_channel_topic_key UNIQUE NULLS NOT DISTINCT (profile_id, channel, topic);
ALTER TABLE ONLY public.suppressions
    ADD CONSTRAINT suppressions_pkey PRIMARY KEY (channel, address);
ALTER TABLE ONLY public.templates
    ADD CONSTRAINT templates_pkey PRIMARY KEY (name);
CREATE INDEX action_calls_finished ON public.action_calls USING btree (finished_at) WHERE (finished_at IS NOT NULL);
CREATE INDEX action_calls_journey ON public.action_calls USING btree (journey_id, node_id, created_at);
CREATE INDEX action_calls_profile ON public.action_calls USING btree (profile_id, created_at DESC);
CREATE UNIQUE INDEX alerts_one_open ON public.alerts USING btree (kind, scope) WHERE (status = 'open'::text);
CREATE INDEX alerts_recent ON public.alerts USING btree (opened_at DESC, alert_id DESC);
CREATE INDEX audience_changes_audience ON public.audience_changes USING btree (audience_id, at);
CREATE INDEX audience_changes_profile ON public.audience_changes USING btree (profile_id, at);
CREATE INDEX audience_changes_stream ON public.audience_changes USING btree (audience_id, txid, id);
CREATE INDEX audience_dependencies_audience ON public.audience_dependencies USING btree (audience_id);
CREATE INDEX audience_members_profile ON public.audience_members USING btree (profile_id);
CREATE INDEX audience_recheck_by_seq ON public.audience_recheck USING btree (seq);
CREATE INDEX audience_recheck_ready ON public.audience_recheck USING btree (leased_until, seq);
CREATE INDEX audience_runs_journey ON public.audience_runs USING btree (journey_id, started_at DESC);
CREATE UNIQUE INDEX destination_exports_open_batch ON public.destination_exports USING btree (destination) WHERE ((kind = 'batch'::text) AND (run_id IS NULL) AND (status = 'running'::text));
CREATE INDEX destination_exports_recent ON public.destination_exports USING btree (destination, started_at DESC);
CREATE INDEX dispatch_queue_by_seq ON public.dispatch_queue USING btree (seq);
CREATE INDEX dispatch_queue_ready ON public.dispatch_queue USING btree (leased_until, seq);
CREATE INDEX events_name_ts ON public.events USING btree (name, ts) INCLUDE (profile_id);
CREATE INDEX events_pending ON public.events USING btree (profile_id, id) WHERE (dispatched_at IS NULL);
CREATE INDEX events_pending_age ON public.events USING btree (received_at) WHERE (dispatched_at IS NULL);
CREATE INDEX events_profile ON public.events USING btree (profile_id, id);
CREATE INDEX events_profile_name_ts ON public.events USING btree (profile_id, name, ts);
CREATE INDEX events_profile_ts ON public.events USING btree (profile_id, ts, id);
CREATE INDEX experiment_assignments_journey ON public.experiment_assignments USING btree (journey_id, node_id, variant);
CREATE INDEX fragment_uses_fragment ON public.fragment_uses USING btree (fragment);
CREATE INDEX inbox_profile ON public.inbox USING btree (profile_id, created_at DESC, message_id DESC);
CREATE INDEX journey_entries_ended ON public.journey_entries USING btree (ended_at) WHERE (ended_at IS NOT NULL);
CREATE INDEX journey_entries_journey ON public.journey_entries USING btree (journey_id, version, status);
CREATE INDEX journey_entries_profile ON public.journey_entries USING btree (profile_id, journey_id, entered_at DESC);
CREATE INDEX journey_migrations_journey ON public.journey_migrations USING btree (journey_id, created_at DESC);
CREATE INDEX journey_steps_open ON public.journey_steps USING btree (journey_id, version) WHERE (left_at IS NULL);
CREATE INDEX journey_steps_profile ON public.journey_steps USING btree (profile_id, journey_id, entered_at);
CREATE INDEX journey_steps_report ON public.journey_steps USING btree (journey_id, version, node_id);
CREATE INDEX messages_campaign_run ON public.messages USING btree (campaign_id, campaign_run) WHERE (campaign_id IS NOT NULL);
CREATE INDEX messages_capping ON public.messages USING btree (profile_id, channel, created_at) WHERE ((NOT transactional) AND (status = ANY (ARRAY['sending'::text, 'sent'::text])));
CREATE INDEX messages_created ON public.messages USING btree (created_at);
CREATE INDEX messages_journey ON public.messages USING btree (journey_id, created_at DESC);
CREATE INDEX messages_profile ON public.messages USING btree (profile_id, created_at DESC);
CREATE INDEX offer_counters_profile ON public.offer_counters USING btree (scope) WHERE (scope <> ''::text);
CREATE INDEX profile_aliases_profile ON public.profile_aliases USING btree (profile_id);
CREATE INDEX profile_erasures_hash ON public.profile_erasures USING btree (profile_hash);
CREATE INDEX profile_imports_started ON public.profile_imports USING btree (started_at DESC);
CREATE INDEX profiles_attributes_path ON public.profiles USING gin (attributes jsonb_path_ops);
CREATE INDEX profiles_email_lower ON public.profiles USING btree (lower(email));
CREATE INDEX profiles_phone ON public.profiles USING btree (phone);
CREATE INDEX propositions_policy ON public.propositions USING btree (policy_id, created_at);
CREATE TRIGGER decision_policies_catalog AFTER INSERT OR DELETE OR UPDATE ON public.decision_policies FOR EACH STATEMENT EXECUTE FUNCTION public.bump_decision_catalog();
CREATE TRIGGER events_audience_insert AFTER INSERT ON public.events REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION public.audience_recheck_enqueue();
CREATE TRIGGER offers_catalog AFTER INSERT OR DELETE OR UPDATE ON public.offers FOR EACH STATEMENT EXECUTE FUNCTION public.bump_decision_catalog();
CREATE TRIGGER placements_catalog AFTER INSERT OR DELETE OR UPDATE ON public.placements FOR EACH STATEMENT EXECUTE FUNCTION public.bump_decision_catalog();
CREATE TRIGGER profiles_audience_delete AFTER DELETE ON public.profiles REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION public.audience_recheck_enqueue();
CREATE TRIGGER profiles_audience_insert AFTER INSERT ON public.profiles REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION public.audience_recheck_enqueue();
CREATE TRIGGER profiles_audience_update AFTER UPDATE ON public.profiles REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION public.audience_recheck_enqueue();
ALTER TABLE ONLY public.audience_changes
    ADD CONSTRAINT audience_changes_audience_id_fkey FOREIGN KEY (audience_id) REFERENCES public.audiences(audience_id) ON DELETE CASCADE;
ALTER TABLE ONLY public.audience_dependencies
    ADD CONSTRAINT audience_dependencies_audience_id_fkey FOREIGN KEY (audience_id) REFERENCES public.audiences(audience_id) ON DELETE CASCADE;
ALTER TABLE ONLY public.audience_members
    ADD CONSTRAINT audience_members_audience_id_fkey FOREIGN KEY (audience_id) REFERENCES public.audiences(audience_id) ON DELETE CASCADE;
ALTER TABLE ONLY public.audience_run_members
    ADD CONSTRAINT audience_run_members_run_key_fkey FOREIGN KEY (run_key) REFERENCES public.audience_runs(run_key) ON DELETE CASCADE;
ALTER TABLE ONLY public.campaign_runs
    ADD CONSTRAINT campaign_runs_campaign_id_fkey FOREIGN KEY (campaign_id) REFERENCES public.campaigns(campaign_id) ON DELETE CASCADE;
ALTER TABLE ONLY public.destination_exports
    ADD CONSTRAINT destination_exports_destination_fkey FOREIGN KEY (destination) REFERENCES public.destinations(name) ON DELETE CASCADE;
ALTER TABLE ONLY public.fragment_versions
    ADD CONSTRAINT fragment_versions_name_fkey FOREIGN KEY (name) REFERENCES public.fragments(name) ON DELETE CASCADE;
ALTER TABLE ONLY public.journey_migration_runs
    ADD CONSTRAINT journey_migration_runs_migration_id_fkey FOREIGN KEY (migration_id) REFERENCES public.journey_migrations(migration_id) ON DELETE CASCADE;
ALTER TABLE ONLY public.journey_versions
    ADD CONSTRAINT journey_versions_journey_id_fkey FOREIGN KEY (journey_id) REFERENCES public.journeys(journey_id);

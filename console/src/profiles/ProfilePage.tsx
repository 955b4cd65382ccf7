// The profile inspector: who the profile is (contact fields, attributes, consent,
// audiences), what happened to it (timeline), and for each journey it is or was in, its
// path drawn on the canvas with the "why" of every step.

import { useCallback, useState } from "react";

import {
  profile,
  profileAudiences,
  profileJourneys,
  profileSubscriptions,
  profileTimeline,
} from "../api/endpoints";
import type { ProfileJourney, ProfilePublic, TimelinePage } from "../api/types";
import { formatValue } from "../app/format";
import { Link } from "../app/Link";
import { Loading } from "../app/Loading";
import { profileHref } from "../app/route";
import { Time } from "../app/Time";
import { usePoll } from "../app/usePoll";
import { JourneyPath } from "./JourneyPath";
import { SearchBox } from "./ProfileSearch";
import { Timeline } from "./Timeline";

const LIVE_EVERY_MS = 3000;

function Contact({ p }: { p: ProfilePublic }) {
  return (
    <section className="card" aria-label="Contact fields">
      <h2>Contact</h2>
      <dl className="facts">
        <dt>Email</dt><dd>{p.email ?? "–"}</dd>
        <dt>Phone</dt><dd>{p.phone ?? "–"}</dd>
        <dt>Time zone</dt><dd>{p.timezone ?? "–"}</dd>
        <dt>Created</dt><dd><Time at={p.created_at} /></dd>
        <dt>Updated</dt><dd><Time at={p.updated_at} /></dd>
      </dl>
    </section>
  );
}

function Attributes({ p }: { p: ProfilePublic }) {
  const entries = Object.entries(p.attributes);
  return (
    <section className="card" aria-label="Attributes">
      <h2>Attributes</h2>
      {entries.length === 0 ? <p className="muted">None.</p> : (
        <dl className="facts">
          {entries.map(([k, v]) => (
            <div key={k} className="fact-row"><dt>{k}</dt><dd><code>{formatValue(v)}</code></dd></div>
          ))}
        </dl>
      )}
    </section>
  );
}

function Consent({ id }: { id: string }) {
  const load = useCallback(() => profileSubscriptions(id), [id]);
  const state = usePoll(load, null);
  return (
    <section className="card" aria-label="Consent and subscriptions">
      <h2>Consent and subscriptions</h2>
      <Loading state={state} what="subscriptions">
        {(page) => page.count === 0 ? <p className="muted">No choice recorded: subscribed to every channel and topic.</p> : (
          <ul className="plain">
            {page.items.map((s) => (
              <li key={`${s.channel}/${s.topic ?? ""}`}>
                {s.channel}{s.topic ? ` · ${s.topic}` : ""}: <strong>{s.status}</strong> <span className="sub"><Time at={s.updated_at} /></span>
              </li>
            ))}
          </ul>
        )}
      </Loading>
    </section>
  );
}

function Audiences({ id }: { id: string }) {
  const load = useCallback(() => profileAudiences(id), [id]);
  const state = usePoll(load, LIVE_EVERY_MS);
  return (
    <section className="card" aria-label="Audiences">
      <h2>Audiences</h2>
      <Loading state={state} what="audiences">
        {(page) => page.count === 0 ? <p className="muted">In no audience.</p> : (
          <ul className="plain">
            {page.items.map((a) => (
              <li key={a.audience_id}><code>{a.audience_id}</code> {a.name} <span className="sub">since <Time at={a.entered_at} /></span></li>
            ))}
          </ul>
        )}
      </Loading>
    </section>
  );
}

function Journeys({ id, entries, chosen }: { id: string; entries: ProfileJourney[]; chosen: string | null }) {
  return (
    <section className="card" aria-label="Journeys">
      <h2>Journeys</h2>
      {entries.length === 0 ? <p className="muted">Never entered a journey.</p> : (
        <ul className="plain runs">
          {entries.map((e) => (
            <li key={e.run_id} className={e.journey_id === chosen ? "chosen" : undefined}>
              <Link href={profileHref(id, e.journey_id)} label={`Path through ${e.journey_id}, ${e.status}`}>{e.journey_id}</Link>{" "}
              <span className={`status status-${e.status}`}>{e.status}</span>
              <span className="sub">
                v{e.version} · <Time at={e.entered_at} />
                {e.current_node && <> · at <code>{e.current_node}</code></>}
                {e.state_error && <> · where unknown: {e.state_error}</>}
              </span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/** The first page is polled (a new profile's history grows there); later pages are
 * fetched on demand, after the cursor of the last one shown. */
function History({ id }: { id: string }) {
  const load = useCallback(() => profileTimeline(id), [id]);
  const state = usePoll(load, LIVE_EVERY_MS);
  const [later, setLater] = useState<TimelinePage[]>([]);
  const [error, setError] = useState<string | null>(null);
  const cursor = (later.at(-1) ?? state.value)?.next_cursor ?? null;
  const more = (): void => {
    if (cursor) profileTimeline(id, cursor).then((page) => setLater((pages) => [...pages, page]), (e: unknown) => setError(e instanceof Error ? e.message : String(e)));
  };
  return (
    <section className="card" aria-label="History">
      <h2>Timeline</h2>
      <Loading state={state} what="the timeline">
        {(first) => <Timeline items={[first, ...later].flatMap((p) => p.items)} onMore={cursor ? more : null} />}
      </Loading>
      {error && <p role="alert">{error}</p>}
    </section>
  );
}

export function ProfilePage({ id, journey }: { id: string; journey: string | null }) {
  const loadProfile = useCallback(() => profile(id), [id]);
  const loadJourneys = useCallback(() => profileJourneys(id), [id]);
  const state = usePoll(loadProfile, LIVE_EVERY_MS);
  const runs = usePoll(loadJourneys, LIVE_EVERY_MS);
  const entries = runs.value?.items ?? [];
  const chosen = journey ?? entries[0]?.journey_id ?? null;
  return (
    <main className="page profile-page">
      <div className="journey-head">
        <h1>Profile <small>{id}</small></h1>
        <SearchBox />
      </div>
      <Loading state={state} what="the profile">
        {(p) => (
          <div className="profile-grid">
            <div className="profile-side">
              <Contact p={p} />
              <Attributes p={p} />
              <Consent id={p.profile_id} />
              <Audiences id={p.profile_id} />
              <Journeys id={id} entries={entries} chosen={chosen} />
            </div>
            <div className="profile-main">
              {runs.error && <p role="alert">Loading the journeys failed: {runs.error}</p>}
              {chosen ? <JourneyPath key={chosen} profileId={p.profile_id} journeyId={chosen} entries={entries} /> : null}
              <History id={p.profile_id} />
            </div>
          </div>
        )}
      </Loading>
    </main>
  );
}

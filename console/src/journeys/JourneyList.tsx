// Every journey with its status, live version, who is inside now, traffic over a window,
// error rate and open alerts; filtered by status and searched by id or name.

import { useCallback, useMemo, useState, type FormEvent } from "react";

import { journeysOverview } from "../api/endpoints";
import type { JourneyOverview } from "../api/types";
import { usePoll } from "../app/usePoll";
import { designHref, journeyHref, navigate } from "../app/route";
import { useCan } from "../auth/who";
import { formatCount } from "../canvas/counts";
import { filterJourneys, formatRate } from "./filter";

const WINDOWS = [
  ["PT1H", "last hour"],
  ["PT24H", "last 24 hours"],
  ["P7D", "last 7 days"],
  ["P30D", "last 30 days"],
] as const;
const STATUSES = ["all", "live", "draft", "stopped"];

function Row({ journey }: { journey: JourneyOverview }) {
  const href = journeyHref(journey.journey_id);
  return (
    <tr>
      <td>
        <a href={href} onClick={(e) => { e.preventDefault(); navigate(href); }}>
          {journey.journey_id}
        </a>
        <div className="sub">{journey.name}</div>
      </td>
      <td><span className={`status status-${journey.status}`}>{journey.status}</span></td>
      <td>{journey.live_version ?? "–"}</td>
      <td>{formatCount(journey.inside)}</td>
      <td>{formatCount(journey.entries)}</td>
      <td>{formatCount(journey.exits)}</td>
      <td>{formatRate(journey.error_rate)}</td>
      <td className={journey.open_alerts ? "alerting" : undefined}>{formatCount(journey.open_alerts)}</td>
    </tr>
  );
}

function Filters(props: {
  window: string;
  status: string;
  search: string;
  onWindow: (w: string) => void;
  onStatus: (s: string) => void;
  onSearch: (s: string) => void;
}) {
  return (
    <div className="filters">
      <label>
        Search <input type="search" value={props.search} onChange={(e) => props.onSearch(e.target.value)} placeholder="id or name" />
      </label>
      <label>
        Status
        <select value={props.status} onChange={(e) => props.onStatus(e.target.value)}>
          {STATUSES.map((s) => <option key={s} value={s}>{s}</option>)}
        </select>
      </label>
      <label>
        Window
        <select value={props.window} onChange={(e) => props.onWindow(e.target.value)}>
          {WINDOWS.map(([value, label]) => <option key={value} value={value}>{label}</option>)}
        </select>
      </label>
    </div>
  );
}

const JOURNEY_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** "New journey": asks for its id, then opens the designer on a fresh draft. */
function NewJourney() {
  const can = useCan("journeys:write");
  const [asking, setAsking] = useState(false);
  const [id, setId] = useState("");
  if (!can) return null;
  if (!asking) return <button type="button" onClick={() => setAsking(true)}>New journey</button>;
  const valid = JOURNEY_ID.test(id);
  const create = (e: FormEvent): void => {
    e.preventDefault();
    if (valid) navigate(designHref(id));
  };
  return (
    <form className="new-journey" onSubmit={create}>
      <label>
        New journey id
        <input value={id} onChange={(e) => setId(e.target.value)} placeholder="abandoned-cart" autoFocus maxLength={128} />
      </label>
      <button type="submit" disabled={!valid}>Open in designer</button>
      <button type="button" onClick={() => setAsking(false)}>Cancel</button>
      {id && !valid && <span className="sub">letters, digits, ".", "_" and "-", starting with a letter or digit</span>}
    </form>
  );
}

export function JourneyList() {
  const [window, setWindow] = useState("PT24H");
  const [status, setStatus] = useState("all");
  const [search, setSearch] = useState("");
  const load = useCallback(() => journeysOverview(window), [window]);
  const { value, error } = usePoll(load, 5000);
  const shown = useMemo(() => filterJourneys(value?.items ?? [], { status, search }), [value, status, search]);
  return (
    <main className="page">
      <div className="list-head">
        <h1>Journeys</h1>
        <NewJourney />
      </div>
      <Filters window={window} status={status} search={search} onWindow={setWindow} onStatus={setStatus} onSearch={setSearch} />
      {error && <p role="alert">{error}</p>}
      {!value && !error && <p className="loading">Loading…</p>}
      {value && (
        <table className="journeys">
          <thead>
            <tr>
              <th>Journey</th><th>Status</th><th>Live version</th><th>Inside now</th>
              <th>Entries</th><th>Exits</th><th>Error rate</th><th>Open alerts</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((j) => <Row key={j.journey_id} journey={j} />)}
          </tbody>
        </table>
      )}
      {value && shown.length === 0 && <p>No journey matches.</p>}
    </main>
  );
}

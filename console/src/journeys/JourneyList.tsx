// Every journey with its status, live version, who is inside now, traffic over a window,
// error rate and open alerts; filtered by status and searched by id or name.

import { useCallback, useMemo, useState } from "react";

import { journeysOverview } from "../api/endpoints";
import type { JourneyOverview } from "../api/types";
import { usePoll } from "../app/usePoll";
import { journeyHref, navigate } from "../app/route";
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

export function JourneyList() {
  const [window, setWindow] = useState("PT24H");
  const [status, setStatus] = useState("all");
  const [search, setSearch] = useState("");
  const load = useCallback(() => journeysOverview(window), [window]);
  const { value, error } = usePoll(load, 5000);
  const shown = useMemo(() => filterJourneys(value?.items ?? [], { status, search }), [value, status, search]);
  return (
    <main className="page">
      <h1>Journeys</h1>
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

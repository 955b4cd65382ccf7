// Alerts, newest first: open ones by default, resolved ones a click away.

import { useCallback, useState } from "react";

import { alerts } from "../api/endpoints";
import type { Alert } from "../api/types";
import { formatCount } from "../app/format";
import { Loading } from "../app/Loading";
import { Time } from "../app/Time";
import { usePoll } from "../app/usePoll";

const pct = (rate: number): string => `${(100 * rate).toFixed(1)}%`;

function Row({ a }: { a: Alert }) {
  return (
    <tr>
      <td><span className={`status status-${a.status}`}>{a.status}</span></td>
      <td>{a.kind.replace(/_/g, " ")}</td>
      <td><code>{a.scope}</code></td>
      <td className="num">{pct(a.value)}</td>
      <td className="num">{pct(a.peak)}</td>
      <td className="num">{pct(a.last_value)}</td>
      <td className="num">{pct(a.threshold)}</td>
      <td className="num">{formatCount(a.failures)} / {formatCount(a.samples)}</td>
      <td><Time at={a.opened_at} /></td>
      <td><Time at={a.resolved_at} /></td>
    </tr>
  );
}

export function AlertList() {
  const [status, setStatus] = useState("open");
  const load = useCallback(() => alerts(status), [status]);
  const state = usePoll(load, 5000);
  return (
    <main className="page">
      <h1>Alerts</h1>
      <div className="filters">
        <label>
          Status
          <select value={status} onChange={(e) => setStatus(e.target.value)}>
            <option value="open">open</option>
            <option value="resolved">resolved</option>
            <option value="all">all</option>
          </select>
        </label>
      </div>
      <Loading state={state} what="alerts">
        {(page) => page.count === 0 ? <p>No {status === "all" ? "" : `${status} `}alert.</p> : (
          <table className="grid" aria-label="Alerts">
            <thead>
              <tr><th>Status</th><th>Kind</th><th>Scope</th><th className="num">Rate when opened</th><th className="num">Peak</th><th className="num">Now</th><th className="num">Threshold</th><th className="num">Failures / outcomes</th><th>Opened</th><th>Resolved</th></tr>
            </thead>
            <tbody>{page.items.map((a) => <Row key={a.alert_id} a={a} />)}</tbody>
          </table>
        )}
      </Loading>
    </main>
  );
}

// The side panel of a selected node: its whole configuration, its counts and its counts
// over time.

import type { JourneyNodeDef, NodeReport, NodeSeries } from "../api/types";
import type { Loaded } from "../app/usePoll";
import { countLines, formatCount } from "./counts";
import { SeriesChart } from "./SeriesChart";

interface Props {
  id: string;
  node: JourneyNodeDef;
  report: NodeReport | undefined;
  /** Its counts over time, when the page loads them. */
  series?: Loaded<NodeSeries>;
  onClose: () => void;
}

function OverTime({ series }: { series: Loaded<NodeSeries> }) {
  return (
    <>
      <h3>Over time</h3>
      {series.error && <p role="alert">{series.error}</p>}
      {series.value ? <SeriesChart series={series.value} /> : !series.error && <p className="loading">Loading…</p>}
    </>
  );
}

function MessageDetail({ report }: { report: NodeReport | undefined }) {
  const reasons = Object.entries(report?.messages?.skipped_by_reason ?? {});
  if (reasons.length === 0) return null;
  return (
    <>
      <h3>Skipped by reason</h3>
      <ul>
        {reasons.map(([reason, n]) => (
          <li key={reason}>
            {reason}: {formatCount(n)}
          </li>
        ))}
      </ul>
    </>
  );
}

function Paths({ report }: { report: NodeReport | undefined }) {
  if (!report?.paths) return null;
  return (
    <>
      <h3>Paths</h3>
      <table>
        <thead>
          <tr>
            <th>path</th>
            <th>profiles</th>
            <th>converted</th>
            <th>goal rate</th>
          </tr>
        </thead>
        <tbody>
          {report.paths.map((p) => (
            <tr key={p.path}>
              <td>{p.path}</td>
              <td>{formatCount(p.profiles)}</td>
              <td>{p.converted === null ? "–" : formatCount(p.converted)}</td>
              <td>{p.goal_rate === null ? "–" : `${(100 * p.goal_rate).toFixed(1)}%`}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

export function NodePanel({ id, node, report, series, onClose }: Props) {
  return (
    <aside className="side-panel" aria-label={`Node ${id}`}>
      <header>
        <h2>
          {id} <small>{node.type}</small>
        </h2>
        <button type="button" onClick={onClose} aria-label="Close the node panel">
          ×
        </button>
      </header>
      <h3>Counts</h3>
      <dl className="panel-counts">
        {countLines(report).map(([name, n]) => (
          <div key={name}>
            <dt>{name}</dt>
            <dd>{formatCount(n)}</dd>
          </div>
        ))}
      </dl>
      {series && <OverTime series={series} />}
      <MessageDetail report={report} />
      <Paths report={report} />
      <h3>Configuration</h3>
      <pre>{JSON.stringify(node, null, 2)}</pre>
    </aside>
  );
}

// The side panel of a selected node: its whole configuration and its counts.

import type { JourneyNodeDef, NodeReport } from "../api/types";
import { countLines, formatCount } from "./counts";

interface Props {
  id: string;
  node: JourneyNodeDef;
  report: NodeReport | undefined;
  onClose: () => void;
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
            <th>goal rate</th>
          </tr>
        </thead>
        <tbody>
          {report.paths.map((p) => (
            <tr key={p.path}>
              <td>{p.path}</td>
              <td>{formatCount(p.profiles)}</td>
              <td>{p.goal_rate === null ? "–" : `${(100 * p.goal_rate).toFixed(1)}%`}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

export function NodePanel({ id, node, report, onClose }: Props) {
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
      <MessageDetail report={report} />
      <Paths report={report} />
      <h3>Configuration</h3>
      <pre>{JSON.stringify(node, null, 2)}</pre>
    </aside>
  );
}

// One journey: its canvas for a chosen version, live counts over a chosen window polled
// every 2 s (with the goal counted on split and experiment paths), and the panel of the
// selected node with its counts over time.

import { useCallback, useMemo, useState, type FormEvent } from "react";

import { journey, journeyReport, journeyVersion, nodeSeries } from "../api/endpoints";
import type { JourneyNodeDef, JourneyPublic, NodeReport } from "../api/types";
import { Link } from "../app/Link";
import { designHref } from "../app/route";
import { TemporalLink } from "../app/TemporalLink";
import { usePoll } from "../app/usePoll";
import { JourneyCanvas } from "../canvas/JourneyCanvas";
import { NodePanel } from "../canvas/NodePanel";
import { Actions } from "./Actions";
import { reportSince, seriesSince, windowById, WINDOWS, type Window } from "./window";

const LIVE_EVERY_MS = 2000;
const SERIES_EVERY_MS = 10_000;

function WindowSelect({ value, onChange }: { value: string; onChange: (id: string) => void }) {
  return (
    <label>
      Window
      <select value={value} onChange={(e) => onChange(e.target.value)}>
        {WINDOWS.map((w) => (
          <option key={w.id} value={w.id}>
            {w.label}
          </option>
        ))}
      </select>
    </label>
  );
}

/** The goal event, applied when the form is sent (not at every key stroke). */
function GoalInput({ goal, onChange }: { goal: string | null; onChange: (goal: string | null) => void }) {
  const [draft, setDraft] = useState(goal ?? "");
  const apply = (e: FormEvent): void => {
    e.preventDefault();
    onChange(draft.trim() || null);
  };
  return (
    <form className="goal-form" onSubmit={apply}>
      <label>
        Goal event
        <input value={draft} onChange={(e) => setDraft(e.target.value)} placeholder="order.completed" maxLength={200} />
      </label>
      <button type="submit">Count goal</button>
    </form>
  );
}

interface Selected {
  id: string;
  version: number;
  node: string;
  def: JourneyNodeDef;
  report: NodeReport | undefined;
  window: Window;
  onClose: () => void;
}

function SelectedNode({ id, version, node, def, report, window, onClose }: Selected) {
  const load = useCallback(
    () => nodeSeries(id, version, node, seriesSince(window, Date.now()), window.bucket),
    [id, version, node, window],
  );
  const series = usePoll(load, SERIES_EVERY_MS);
  return <NodePanel id={node} node={def} report={report} series={series} onClose={onClose} />;
}

function VersionSelect({ info, version, onChange }: { info: JourneyPublic; version: number; onChange: (v: number) => void }) {
  return (
    <label>
      Version
      <select value={version} onChange={(e) => onChange(Number(e.target.value))}>
        {[...info.versions].reverse().map((v) => (
          <option key={v.version} value={v.version}>
            v{v.version}{v.version === info.live_version ? " (live)" : ""} · {new Date(v.published_at).toLocaleString()}
          </option>
        ))}
      </select>
    </label>
  );
}

function Canvas({ id, version, window, goal }: { id: string; version: number; window: Window; goal: string | null }) {
  const [selected, setSelected] = useState<string | null>(null);
  const loadDefinition = useCallback(() => journeyVersion(id, version), [id, version]);
  const loadReport = useCallback(
    () => journeyReport(id, version, { since: reportSince(window, Date.now()), goal }),
    [id, version, window, goal],
  );
  const definition = usePoll(loadDefinition, null);
  const report = usePoll(loadReport, LIVE_EVERY_MS);
  const counts = useMemo(() => new Map((report.value?.nodes ?? []).map((n) => [n.node, n])), [report.value]);
  const def = definition.value?.definition;
  if (definition.error) return <p role="alert">{definition.error}</p>;
  if (!def) return <p className="loading">Loading the graph…</p>;
  const node = selected ? def.nodes[selected] : undefined;
  return (
    <div className="journey-body">
      <JourneyCanvas definition={def} report={report.value} selected={selected} onSelect={setSelected} />
      {selected && node && (
        <SelectedNode
          key={selected}
          id={id}
          version={version}
          node={selected}
          def={node}
          report={counts.get(selected)}
          window={window}
          onClose={() => setSelected(null)}
        />
      )}
      <div className="corner-link">
        <TemporalLink target={{ query: `JourneyId = ${JSON.stringify(id)}` }}>Its runs in the Temporal UI</TemporalLink>
      </div>
      {report.error && <p role="alert" className="live-error">Live counts: {report.error}</p>}
    </div>
  );
}

export function JourneyPage({ id }: { id: string }) {
  const [tick, setTick] = useState(0);
  const load = useCallback(() => journey(id), [id, tick]); // eslint-disable-line react-hooks/exhaustive-deps
  const { value: info, error } = usePoll(load, null);
  const [chosen, setChosen] = useState<number | null>(null);
  const [windowId, setWindowId] = useState("all");
  const [goal, setGoal] = useState<string | null>(null);
  const version = chosen ?? info?.live_version ?? info?.versions.at(-1)?.version ?? null;
  return (
    <main className="page journey-page">
      <div className="journey-head">
        <h1>{info?.name ?? id} <small>{id}</small></h1>
        {info && <span className={`status status-${info.status}`}>{info.status}</span>}
        {info && version !== null && <VersionSelect info={info} version={version} onChange={setChosen} />}
        {info && version !== null && <WindowSelect value={windowId} onChange={setWindowId} />}
        {info && version !== null && <GoalInput goal={goal} onChange={setGoal} />}
        <Link href={designHref(id)} className="designer-link">Edit in designer</Link>
        <Actions id={id} onDone={() => setTick((t) => t + 1)} />
      </div>
      {error && <p role="alert">{error}</p>}
      {info && version === null && <p>This journey was never published: no graph to show yet.</p>}
      {version !== null && <Canvas key={version} id={id} version={version} window={windowById(windowId)} goal={goal} />}
    </main>
  );
}

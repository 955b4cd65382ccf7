// One journey: its canvas for a chosen version, live counts polled every 2 s, and the
// panel of the selected node.

import { useCallback, useMemo, useState } from "react";

import { journey, journeyReport, journeyVersion } from "../api/endpoints";
import type { JourneyPublic } from "../api/types";
import { TemporalLink } from "../app/TemporalLink";
import { usePoll } from "../app/usePoll";
import { JourneyCanvas } from "../canvas/JourneyCanvas";
import { NodePanel } from "../canvas/NodePanel";
import { Actions } from "./Actions";

const LIVE_EVERY_MS = 2000;

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

function Canvas({ id, version }: { id: string; version: number }) {
  const [selected, setSelected] = useState<string | null>(null);
  const loadDefinition = useCallback(() => journeyVersion(id, version), [id, version]);
  const loadReport = useCallback(() => journeyReport(id, version), [id, version]);
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
      {selected && node && <NodePanel id={selected} node={node} report={counts.get(selected)} onClose={() => setSelected(null)} />}
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
  const version = chosen ?? info?.live_version ?? info?.versions.at(-1)?.version ?? null;
  return (
    <main className="page journey-page">
      <div className="journey-head">
        <h1>{info?.name ?? id} <small>{id}</small></h1>
        {info && <span className={`status status-${info.status}`}>{info.status}</span>}
        {info && version !== null && <VersionSelect info={info} version={version} onChange={setChosen} />}
        <Actions id={id} onDone={() => setTick((t) => t + 1)} />
      </div>
      {error && <p role="alert">{error}</p>}
      {info && version === null && <p>This journey was never published: no graph to show yet.</p>}
      {version !== null && <Canvas key={version} id={id} version={version} />}
    </main>
  );
}

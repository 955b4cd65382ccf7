// A profile's path through one journey, drawn on the journey's canvas: the nodes it
// visited with their times, the edges it took, where it waits now; below, every step with
// the expressions evaluated and their values, and the message sent or why it was skipped.

import { useCallback, useMemo, useState } from "react";

import { journeyVersion, profileJourneyPath } from "../api/endpoints";
import type { PathStep, ProfileJourney, RunPath } from "../api/types";
import { formatValue } from "../app/format";
import { Link } from "../app/Link";
import { Loading } from "../app/Loading";
import { journeyHref } from "../app/route";
import { TemporalLink } from "../app/TemporalLink";
import { Time } from "../app/Time";
import { usePoll } from "../app/usePoll";
import { JourneyCanvas } from "../canvas/JourneyCanvas";
import { pathOverlay, stepSummary } from "../canvas/path";

const LIVE_EVERY_MS = 2000;

function Checks({ step }: { step: PathStep }) {
  if (step.checks.length === 0) return <span className="muted">–</span>;
  return (
    <ul className="checks">
      {step.checks.map((c, i) => (
        <li key={i}>
          <code>{c.expression}</code> = <code className="value">{formatValue(c.value)}</code>
        </li>
      ))}
    </ul>
  );
}

function MessageCell({ step }: { step: PathStep }) {
  const m = step.message;
  if (!m) return <span className="muted">–</span>;
  return (
    <span title={m.message_id}>
      {m.channel} · {m.template}: <strong>{m.status}</strong>
      {m.reason && ` (${m.reason})`}
      {m.error && ` — ${m.error}`}
      {m.recipient && <div className="sub">to {m.recipient}{m.subject ? ` · “${m.subject}”` : ""}</div>}
    </span>
  );
}

export function StepsTable({ run, selected }: { run: RunPath; selected: string | null }) {
  return (
    <table className="grid steps" aria-label="Steps">
      <thead>
        <tr><th>#</th><th>Node</th><th>Entered</th><th>Left</th><th>Way out</th><th>Evaluated</th><th>Message</th></tr>
      </thead>
      <tbody>
        {run.steps.map((s, i) => (
          <tr key={`${s.node}-${s.visit}`} className={s.node === selected ? "selected-row" : undefined}>
            <td>{i + 1}</td>
            <td><code>{s.node}</code> <span className="sub">{s.type}{s.visit > 1 ? ` · visit ${s.visit}` : ""}</span></td>
            <td><Time at={s.entered_at} clock /></td>
            <td>{s.left_at ? <Time at={s.left_at} clock /> : <strong>still here</strong>}</td>
            <td>{stepSummary({ ...s, message: null })}</td>
            <td><Checks step={s} /></td>
            <td><MessageCell step={s} /></td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function RunCanvas({ journeyId, run, current }: { journeyId: string; run: RunPath; current: string | null }) {
  const [selected, setSelected] = useState<string | null>(null);
  const load = useCallback(() => journeyVersion(journeyId, run.version), [journeyId, run.version]);
  const definition = usePoll(load, null);
  const overlay = useMemo(() => pathOverlay(run, current), [run, current]);
  return (
    <Loading state={definition} what="the journey's graph">
      {(v) => (
        <>
          <div className="path-body">
            <JourneyCanvas definition={v.definition} report={null} selected={selected} onSelect={setSelected} path={overlay} />
          </div>
          <StepsTable run={run} selected={selected} />
        </>
      )}
    </Loading>
  );
}

function RunHead({ run, current }: { run: RunPath; current: string | null }) {
  const here = pathOverlay(run, current).here;
  return (
    <p className="run-head">
      <span className={`status status-${run.status}`}>{run.status}</span> v{run.version} · entered <Time at={run.entered_at} />
      {run.ended_at && <> · ended <Time at={run.ended_at} />{run.reason ? ` (${run.reason})` : ""}</>}
      {here && <> · waits at <code>{here}</code></>}
      <span className="sub">
        workflow <code>{run.workflow_id}</code> · run <code>{run.run_id}</code>{" "}
        <TemporalLink target={{ workflow: run.workflow_id }}>Open in the Temporal UI</TemporalLink>
      </span>
    </p>
  );
}

export function JourneyPath({ profileId, journeyId, entries }: { profileId: string; journeyId: string; entries: ProfileJourney[] }) {
  const load = useCallback(() => profileJourneyPath(profileId, journeyId), [profileId, journeyId]);
  const state = usePoll(load, LIVE_EVERY_MS);
  const [chosen, setChosen] = useState<string | null>(null);
  return (
    <section className="card journey-path" aria-label={`Path through ${journeyId}`}>
      <h2>
        Path through <Link href={journeyHref(journeyId)}>{journeyId}</Link>
      </h2>
      <Loading state={state} what="the path">
        {(path) => {
          const run = path.runs.find((r) => r.run_id === chosen) ?? path.runs[0];
          if (!run) return <p>No run of this journey.</p>;
          const current = entries.find((e) => e.run_id === run.run_id)?.current_node ?? null;
          return (
            <>
              {path.runs.length > 1 && (
                <label>
                  Run
                  <select value={run.run_id} onChange={(e) => setChosen(e.target.value)}>
                    {path.runs.map((r) => (
                      <option key={r.run_id} value={r.run_id}>{new Date(r.entered_at).toLocaleString()} · {r.status}</option>
                    ))}
                  </select>
                </label>
              )}
              <RunHead run={run} current={current} />
              <RunCanvas key={`${run.run_id}-${run.version}`} journeyId={journeyId} run={run} current={current} />
            </>
          );
        }}
      </Loading>
    </section>
  );
}

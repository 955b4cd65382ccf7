// One run, live: the bar of sent / skipped / failed / remaining, skipped by reason, the
// rate it sends at, the audience snapshot's size, and the controls the key may use.

import { useEffect, useRef, useState } from "react";

import { controlRun, type RunControl } from "../api/endpoints";
import type { CampaignRun } from "../api/types";
import { formatCount, formatThroughput } from "../app/format";
import { TemporalLink } from "../app/TemporalLink";
import { Time } from "../app/Time";
import { useCan } from "../auth/who";
import { averageRate, controlsFor, progress, rateBetween, type Sample } from "./progress";

const LABELS: Record<RunControl, string> = { pause: "Pause run", resume: "Resume run", cancel: "Cancel run" };

/** The rate between the last two readings (while running) and the average since start;
 * read when the run's counts change, since the clock is not part of the render. */
function useRates(run: CampaignRun): [number | null, number | null] {
  const last = useRef<Sample | null>(null);
  const [rates, setRates] = useState<[number | null, number | null]>([null, null]);
  const done = progress(run).done;
  useEffect(() => {
    const now: Sample = { at: Date.now(), done };
    setRates([rateBetween(last.current, now), averageRate(run, now.at)]);
    last.current = now;
  }, [done, run]);
  return [run.status === "running" ? rates[0] : null, rates[1]];
}

function Controls({ run, onDone }: { run: CampaignRun; onDone: () => void }) {
  const can = useCan("campaigns:write");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  if (!can) return null;
  const act = async (control: RunControl): Promise<void> => {
    if (control === "cancel" && !window.confirm(`Cancel run ${run.run_id}? It cannot be resumed.`)) return;
    setBusy(true);
    setError(null);
    try {
      await controlRun(run.campaign_id, run.run_id, control);
      onDone();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="actions">
      {controlsFor(run.status).map((c) => (
        <button key={c} type="button" disabled={busy} onClick={() => void act(c)}>{LABELS[c]}</button>
      ))}
      {error && <p role="alert">{error}</p>}
    </div>
  );
}

function Bar({ run }: { run: CampaignRun }) {
  const { shares } = progress(run);
  if (!shares) return <p className="muted">The audience snapshot is being taken…</p>;
  const parts = [["sent", shares.sent], ["skipped", shares.skipped], ["failed", shares.failed], ["remaining", shares.remaining]] as const;
  return (
    <div className="bar" role="img" aria-label={parts.map(([k, v]) => `${k} ${v.toFixed(0)}%`).join(", ")}>
      {parts.map(([k, v]) => <span key={k} className={`bar-${k}`} style={{ width: `${v}%` }} />)}
    </div>
  );
}

export function RunProgress({ run, onChange }: { run: CampaignRun; onChange: () => void }) {
  const [rate, average] = useRates(run);
  const { skipped } = progress(run);
  const reasons = Object.entries(run.skipped);
  return (
    <section className="card" aria-label={`Run ${run.run_id}`}>
      <div className="run-title">
        <h2>Run <code>{run.run_id}</code></h2>
        <span className={`status status-${run.status}`} data-testid="run-status">{run.status}</span>
        <Controls run={run} onDone={onChange} />
      </div>
      <Bar run={run} />
      <dl className="run-counts">
        <div><dt>Snapshot</dt><dd>{run.total === null ? "–" : formatCount(run.total)}</dd></div>
        <div><dt>Sent</dt><dd data-count="sent">{formatCount(run.sent)}</dd></div>
        <div><dt>Skipped</dt><dd>{formatCount(skipped)}</dd></div>
        <div><dt>Failed</dt><dd>{formatCount(run.failed)}</dd></div>
        <div><dt>Remaining</dt><dd data-count="remaining">{run.remaining === null ? "–" : formatCount(run.remaining)}</dd></div>
        <div><dt>Now</dt><dd>{formatThroughput(rate)}</dd></div>
        <div><dt>Average</dt><dd>{formatThroughput(average)}</dd></div>
      </dl>
      {reasons.length > 0 && (
        <p className="sub">Skipped by reason: {reasons.map(([r, n]) => `${r} ${formatCount(n)}`).join(" · ")}</p>
      )}
      <p className="sub">
        Started <Time at={run.started_at} />{run.finished_at && <> · finished <Time at={run.finished_at} /></>} · workflow <code>{run.workflow_id}</code>{" "}
        <TemporalLink target={{ workflow: run.workflow_id }}>Open in the Temporal UI</TemporalLink>
      </p>
    </section>
  );
}

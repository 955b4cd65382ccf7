// One campaign: its definition, approval, schedule and next runs, its runs, and the
// selected run's live progress with the controls the key may use.

import { useCallback, useState } from "react";

import { approveCampaign, campaign, campaignRuns, campaignSchedule, startCampaignRun } from "../api/endpoints";
import type { Campaign, CampaignRun } from "../api/types";
import { formatCount } from "../app/format";
import { Loading } from "../app/Loading";
import { Time } from "../app/Time";
import { usePoll } from "../app/usePoll";
import { useCan } from "../auth/who";
import { approvalText } from "./CampaignList";
import { RunProgress } from "./RunProgress";

const LIVE_EVERY_MS = 1500;

function useAction(onDone: () => void): [(action: () => Promise<unknown>) => void, string | null] {
  const [error, setError] = useState<string | null>(null);
  const run = (action: () => Promise<unknown>): void => {
    setError(null);
    action().then(onDone, (e: unknown) => setError(e instanceof Error ? e.message : String(e)));
  };
  return [run, error];
}

function Head({ c, onChange }: { c: Campaign; onChange: () => void }) {
  const canWrite = useCan("campaigns:write");
  const canApprove = useCan("campaigns:approve");
  const [act, error] = useAction(onChange);
  const sendable = c.kind !== "triggered" && c.status === "active" && c.approved;
  return (
    <div className="journey-head">
      <h1>{c.name} <small>{c.id}</small></h1>
      <span className={`status status-${c.status}`}>{c.status}</span>
      <span className={c.requires_approval && !c.approved ? "alerting" : "sub"}>approval: {approvalText(c)}</span>
      <div className="actions">
        {canApprove && c.requires_approval && !c.approved && (
          <button type="button" onClick={() => act(() => approveCampaign(c.id))}>Approve campaign</button>
        )}
        {canWrite && sendable && (
          <button type="button" onClick={() => act(() => startCampaignRun(c.id))}>Send now</button>
        )}
        {error && <p role="alert">{error}</p>}
      </div>
    </div>
  );
}

/** The delivery settings that are set, as `key value` pairs. */
export function deliveryText(delivery: Record<string, unknown>): string {
  const set = Object.entries(delivery).filter(([, v]) => v !== null && !(Array.isArray(v) && v.length === 0));
  return set.length ? set.map(([k, v]) => `${k.replace(/_/g, " ")} ${Array.isArray(v) ? v.join(", ") : String(v)}`).join(" · ") : "as fast as allowed";
}

function Definition({ c }: { c: Campaign }) {
  return (
    <section className="card" aria-label="Definition">
      <h2>Definition</h2>
      <dl className="facts">
        <dt>Kind</dt><dd>{c.kind}{c.transactional ? " · transactional" : ""}</dd>
        <dt>Audience</dt><dd>{c.audience_id ?? "–"}</dd>
        <dt>Channel</dt><dd>{c.channel}</dd>
        <dt>Template</dt><dd>{c.template}{c.topic ? ` · topic ${c.topic}` : ""}</dd>
        <dt>Delivery</dt><dd>{deliveryText(c.delivery)}</dd>
        <dt>Updated</dt><dd><Time at={c.updated_at} /></dd>
      </dl>
    </section>
  );
}

function Schedule({ id }: { id: string }) {
  const load = useCallback(() => campaignSchedule(id), [id]);
  const state = usePoll(load, 30_000);
  return (
    <section className="card" aria-label="Schedule">
      <h2>Schedule</h2>
      <Loading state={state} what="the schedule">
        {(s) => (
          <>
            <p><code>{s.cron}</code> in {s.timezone}{s.paused ? " · paused" : ""}</p>
            {!s.scheduled && <p className="muted">No run is scheduled: the campaign is archived or awaits approval.</p>}
            {s.next_runs.length > 0 && (
              <ol className="plain" aria-label="Next runs">
                {s.next_runs.map((at) => <li key={at}><Time at={at} /></li>)}
              </ol>
            )}
          </>
        )}
      </Loading>
    </section>
  );
}

function Runs({ runs, chosen, onChoose }: { runs: CampaignRun[]; chosen: string | null; onChoose: (id: string) => void }) {
  return (
    <table className="grid" aria-label="Runs">
      <thead>
        <tr><th>Run</th><th>Status</th><th className="num">Snapshot</th><th className="num">Sent</th><th className="num">Failed</th><th>Started</th></tr>
      </thead>
      <tbody>
        {runs.map((r) => (
          <tr key={r.run_id} className={r.run_id === chosen ? "selected-row" : undefined}>
            <td><button type="button" className="linkish" onClick={() => onChoose(r.run_id)} aria-label={`Show run ${r.run_id}`}>{r.run_id}</button></td>
            <td><span className={`status status-${r.status}`}>{r.status}</span></td>
            <td className="num">{r.total === null ? "–" : formatCount(r.total)}</td>
            <td className="num">{formatCount(r.sent)}</td>
            <td className="num">{formatCount(r.failed)}</td>
            <td><Time at={r.started_at} /></td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function CampaignPage({ id }: { id: string }) {
  const [tick, setTick] = useState(0);
  const refresh = (): void => setTick((t) => t + 1);
  const loadCampaign = useCallback(() => campaign(id), [id, tick]); // eslint-disable-line react-hooks/exhaustive-deps
  const loadRuns = useCallback(() => campaignRuns(id), [id, tick]); // eslint-disable-line react-hooks/exhaustive-deps
  const state = usePoll(loadCampaign, 10_000);
  const runs = usePoll(loadRuns, LIVE_EVERY_MS);
  const [chosen, setChosen] = useState<string | null>(null);
  const items = runs.value?.items ?? [];
  const run = items.find((r) => r.run_id === chosen) ?? items[0];
  return (
    <main className="page">
      <Loading state={state} what="the campaign">
        {(c) => (
          <>
            <Head c={c} onChange={refresh} />
            <div className="campaign-grid">
              <div>
                <Definition c={c} />
                {c.schedule && <Schedule id={c.id} />}
              </div>
              <div>
                {run ? <RunProgress key={run.run_id} run={run} onChange={refresh} /> : <p className="card">No run yet.</p>}
                {runs.error && <p role="alert">Loading the runs failed: {runs.error}</p>}
                {items.length > 0 && <Runs runs={items} chosen={run?.run_id ?? null} onChoose={setChosen} />}
              </div>
            </div>
          </>
        )}
      </Loading>
    </main>
  );
}

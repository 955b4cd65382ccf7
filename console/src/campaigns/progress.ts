// A campaign run's progress as the page shows it: the shares of the bar, the rate it sends
// at (between two polls, and on average since it started), and which controls apply.

import type { CampaignRun } from "../api/types";
import type { RunControl } from "../api/endpoints";

export interface Progress {
  done: number;
  skipped: number;
  /** Percent of the snapshot per part, summing to 100 when the size is known. */
  shares: { sent: number; skipped: number; failed: number; remaining: number } | null;
}

const sum = (counts: Record<string, number>): number => Object.values(counts).reduce((a, b) => a + b, 0);

export function progress(run: CampaignRun): Progress {
  const skipped = sum(run.skipped);
  const done = run.sent + run.failed + skipped;
  const total = run.total;
  if (!total) return { done, skipped, shares: null };
  const pct = (n: number): number => (100 * n) / total;
  const remaining = run.remaining ?? Math.max(0, total - done);
  return { done, skipped, shares: { sent: pct(run.sent), skipped: pct(skipped), failed: pct(run.failed), remaining: pct(remaining) } };
}

export interface Sample {
  /** Milliseconds since the epoch when the run was read. */
  at: number;
  done: number;
}

/** Messages per second between two readings of the same run; null without two. */
export function rateBetween(before: Sample | null, after: Sample): number | null {
  if (!before || after.at <= before.at) return null;
  return Math.max(0, after.done - before.done) / ((after.at - before.at) / 1000);
}

/** Messages per second from the start to the end (or to `now` while it runs). */
export function averageRate(run: CampaignRun, now: number): number | null {
  const end = run.finished_at ? Date.parse(run.finished_at) : now;
  const seconds = (end - Date.parse(run.started_at)) / 1000;
  return seconds > 0 ? progress(run).done / seconds : null;
}

/** The controls a run in this status takes (the API answers 409 to the others). */
export function controlsFor(status: string): RunControl[] {
  switch (status) {
    case "running":
      return ["pause", "cancel"];
    case "paused":
      return ["resume", "cancel"];
    case "starting":
      return ["cancel"];
    default:
      return [];
  }
}

// One run of a profile laid over the journey's graph: the visits of each node, the edges it
// took (one step to the next, in the order the ledger kept), and where it waits now.

import type { PathStep, RunPath } from "../api/types";

export interface PathOverlay {
  visits: ReadonlyMap<string, PathStep[]>;
  /** `edgeKey(source, target)` of every edge the run went along. */
  taken: ReadonlySet<string>;
  /** The node the run is at now; null once it ended. */
  here: string | null;
}

export const edgeKey = (source: string, target: string): string => `${source}\u0000${target}`;

/** Where an active run is: the workflow's own answer (state query) when there is one,
 * else its last visit not left yet. */
function whereNow(run: RunPath, current: string | null): string | null {
  if (run.status !== "active") return null;
  if (current) return current;
  return [...run.steps].reverse().find((s) => s.left_at === null)?.node ?? null;
}

export function pathOverlay(run: RunPath, current: string | null = null): PathOverlay {
  const visits = new Map<string, PathStep[]>();
  for (const step of run.steps) visits.set(step.node, [...(visits.get(step.node) ?? []), step]);
  const taken = new Set<string>();
  run.steps.forEach((step, i) => {
    const next = run.steps[i + 1];
    if (next) taken.add(edgeKey(step.node, next.node));
  });
  return { visits, taken, here: whereNow(run, current) };
}

/** What a step's way out reads as: "branch 1 · event.total > 100 = true". */
export function stepSummary(step: PathStep): string {
  // A message step's detail is "<status> <message id>": the id is in the message itself.
  const detail = step.type === "message" ? step.detail?.split(" ")[0] : step.detail;
  const way = detail ?? step.outcome ?? (step.left_at ? "left" : "still here");
  const m = step.message;
  if (!m) return way;
  const reason = m.reason ? ` (${m.reason})` : "";
  return m.status === way ? `${way}${reason}` : `${way} · ${m.status}${reason}`;
}

// What the publish panel says: why Publish is unavailable, and who is still on older versions.
// Pure: the panel passes what it loaded.

import type { GraphDiff } from "./diff";
import { unchanged } from "./diff";
import type { Approval, InFlight } from "./publishApi";

export interface PublishFacts {
  problems: number;
  /** The working copy against the live version; null while it is being compared. */
  diff: GraphDiff | null;
  /** "live", "stopped", "draft"; null for a journey never saved. */
  status: string | null;
  liveVersion: number | null;
  requiresApproval: boolean;
  approval: Approval["state"];
  /** Whether the working copy is the saved draft (an approval is of the saved one). */
  saved: boolean;
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/** Why Publish is disabled, or null when it may be pressed. */
export function publishBlocker(f: PublishFacts): string | null {
  if (f.problems > 0) return `Fix ${plural(f.problems, "problem")} before publishing.`;
  if (f.diff === null) return "Comparing the draft with the live version…";
  if (f.status === "live" && f.liveVersion !== null && unchanged(f.diff)) {
    return `Nothing to publish: the draft is version ${f.liveVersion}, live.`;
  }
  if (!f.requiresApproval) return null;
  if (!f.saved) return "Approval is required: save the draft and request approval.";
  if (f.approval === "requested") return "Approval is required: waiting for another key to approve the draft.";
  if (f.approval === "none") return "Approval is required: request approval of the draft.";
  return null;
}

/** "12 profiles still on older versions (v1: 5, v2: 7)", or null when none are. */
export function olderInFlight(inFlight: InFlight[], liveVersion: number | null): string | null {
  if (liveVersion === null) return null;
  const older = inFlight.filter((v) => v.version < liveVersion && v.profiles > 0);
  const total = older.reduce((sum, v) => sum + v.profiles, 0);
  if (total === 0) return null;
  const each = older.map((v) => `v${v.version}: ${v.profiles}`).join(", ");
  return `${plural(total, "profile")} still on older versions (${each})`;
}

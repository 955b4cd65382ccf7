import { describe, expect, it } from "vitest";

import type { PathStep, RunPath } from "../api/types";
import { edgeKey, pathOverlay, stepSummary } from "./path";

const step = (node: string, visit: number, left: boolean, extra: Partial<PathStep> = {}): PathStep => ({
  node,
  type: "wait",
  visit,
  entered_at: `2026-01-01T10:0${visit}:00Z`,
  left_at: left ? `2026-01-01T10:0${visit}:30Z` : null,
  outcome: left ? "exited" : null,
  detail: null,
  checks: [],
  message: null,
  ...extra,
});

const run = (status: string, steps: PathStep[]): RunPath => ({
  run_id: "r1",
  workflow_id: "journey:j:p",
  version: 1,
  status,
  reason: null,
  entered_at: "2026-01-01T10:00:00Z",
  ended_at: null,
  steps,
});

describe("pathOverlay", () => {
  const loop = [step("check", 1, true), step("hold", 1, true), step("nudge", 1, true), step("hold", 2, false)];

  it("takes the edges between consecutive steps, loops included, and no other", () => {
    const { taken } = pathOverlay(run("active", loop));
    expect([...taken].sort()).toEqual([edgeKey("check", "hold"), edgeKey("hold", "nudge"), edgeKey("nudge", "hold")].sort());
    expect(taken.has(edgeKey("check", "nudge"))).toBe(false);
  });

  it("groups the visits of each node in order", () => {
    const { visits } = pathOverlay(run("active", loop));
    expect(visits.get("hold")?.map((s) => s.visit)).toEqual([1, 2]);
    expect(visits.has("done")).toBe(false);
  });

  it("waits where the workflow says, else at the last visit not left; nowhere once ended", () => {
    expect(pathOverlay(run("active", loop)).here).toBe("hold");
    expect(pathOverlay(run("active", loop), "nudge").here).toBe("nudge");
    expect(pathOverlay(run("exited", loop), "nudge").here).toBeNull();
  });
});

describe("stepSummary", () => {
  it("says the way out and the message's outcome", () => {
    const message = {
      message_id: "m",
      channel: "email",
      template: "t",
      status: "skipped",
      reason: "unsubscribed",
      error: null,
      recipient: null,
      subject: null,
      created_at: "2026-01-01T10:00:00Z",
      sent_at: null,
      deferred_until: null,
    };
    expect(stepSummary(step("vip", 1, true, { type: "message", detail: "skipped m-1", message }))).toBe("skipped (unsubscribed)");
    expect(stepSummary(step("vip", 1, false, { type: "message", detail: "deferred", message: { ...message, status: "deferred", reason: null } }))).toBe("deferred");
    expect(stepSummary(step("vip", 1, true, { type: "message", detail: "sent m-1", message: { ...message, status: "failed", reason: null } }))).toBe("sent · failed");
    expect(stepSummary(step("check", 1, true, { detail: "branch 0" }))).toBe("branch 0");
    expect(stepSummary(step("hold", 1, false))).toBe("still here");
  });
});

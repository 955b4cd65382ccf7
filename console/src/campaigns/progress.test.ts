import { describe, expect, it } from "vitest";

import type { CampaignRun } from "../api/types";
import { averageRate, controlsFor, progress, rateBetween } from "./progress";

const run = (extra: Partial<CampaignRun> = {}): CampaignRun => ({
  campaign_id: "c",
  run_id: "r",
  workflow_id: "campaign:c:r",
  status: "running",
  total: 200,
  sent: 100,
  failed: 10,
  skipped: { unsubscribed: 20, suppressed: 10 },
  remaining: 60,
  started_at: "2026-01-01T10:00:00Z",
  finished_at: null,
  ...extra,
});

describe("progress", () => {
  it("splits the snapshot into sent, skipped, failed and remaining", () => {
    expect(progress(run())).toEqual({ done: 140, skipped: 30, shares: { sent: 50, skipped: 15, failed: 5, remaining: 30 } });
  });

  it("has no bar while the snapshot size is unknown", () => {
    expect(progress(run({ total: null, remaining: null })).shares).toBeNull();
  });
});

describe("rates", () => {
  it("counts what was done between two readings", () => {
    expect(rateBetween({ at: 0, done: 10 }, { at: 2000, done: 50 })).toBe(20);
    expect(rateBetween(null, { at: 2000, done: 50 })).toBeNull();
    expect(rateBetween({ at: 2000, done: 10 }, { at: 2000, done: 50 })).toBeNull();
  });

  it("averages from the start to the end or to now", () => {
    expect(averageRate(run(), Date.parse("2026-01-01T10:00:10Z"))).toBe(14);
    expect(averageRate(run({ finished_at: "2026-01-01T10:00:20Z" }), Date.parse("2026-01-01T11:00:00Z"))).toBe(7);
  });
});

describe("controlsFor", () => {
  it("offers what the run's status takes", () => {
    expect(controlsFor("running")).toEqual(["pause", "cancel"]);
    expect(controlsFor("paused")).toEqual(["resume", "cancel"]);
    expect(controlsFor("completed")).toEqual([]);
    expect(controlsFor("cancelled")).toEqual([]);
  });
});

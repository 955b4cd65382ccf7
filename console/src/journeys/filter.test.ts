import { describe, expect, it } from "vitest";

import type { JourneyOverview } from "../api/types";
import { filterJourneys, formatRate } from "./filter";

const journey = (journey_id: string, name: string, status: string): JourneyOverview => ({
  journey_id, name, status, live_version: 1, updated_at: "2026-01-01T00:00:00Z",
  inside: 0, entries: 0, exits: 0, errored: 0, error_rate: null, open_alerts: 0,
});

const items = [journey("cart", "Abandoned cart", "live"), journey("welcome", "Welcome series", "stopped")];

describe("journeys filter", () => {
  it("searches ids and names, case-insensitively", () => {
    expect(filterJourneys(items, { status: "all", search: "ABANDON" }).map((j) => j.journey_id)).toEqual(["cart"]);
    expect(filterJourneys(items, { status: "all", search: "welc" }).map((j) => j.journey_id)).toEqual(["welcome"]);
  });

  it("filters by status", () => {
    expect(filterJourneys(items, { status: "stopped", search: "" }).map((j) => j.journey_id)).toEqual(["welcome"]);
    expect(filterJourneys(items, { status: "all", search: "" })).toHaveLength(2);
  });

  it("formats a missing rate as a dash", () => {
    expect(formatRate(null)).toBe("–");
    expect(formatRate(0.1234)).toBe("12.3%");
  });
});

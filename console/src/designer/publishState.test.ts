import { describe, expect, it } from "vitest";

import { graphDiff } from "./diff";
import { olderInFlight, publishBlocker, type PublishFacts } from "./publishState";

const live = { id: "j", start: "a", nodes: { a: { type: "end" } } };
const changed = { id: "j", start: "b", nodes: { b: { type: "end" } } };

const facts = (over: Partial<PublishFacts>): PublishFacts => ({
  problems: 0,
  diff: graphDiff(live, changed),
  status: "live",
  liveVersion: 2,
  requiresApproval: false,
  approval: "none",
  saved: true,
  ...over,
});

describe("publishBlocker", () => {
  it("says why Publish is disabled, problems first", () => {
    expect(publishBlocker(facts({ problems: 2, requiresApproval: true }))).toBe("Fix 2 problems before publishing.");
    expect(publishBlocker(facts({ problems: 1 }))).toBe("Fix 1 problem before publishing.");
    expect(publishBlocker(facts({ diff: graphDiff(live, live) }))).toBe("Nothing to publish: the draft is version 2, live.");
    expect(publishBlocker(facts({ requiresApproval: true, approval: "requested" }))).toBe(
      "Approval is required: waiting for another key to approve the draft.",
    );
    expect(publishBlocker(facts({ requiresApproval: true, approval: "approved", saved: false }))).toBe(
      "Approval is required: save the draft and request approval.",
    );
  });

  it("lets a changed, approved or unapproved-but-unrequired draft be published", () => {
    expect(publishBlocker(facts({}))).toBeNull();
    expect(publishBlocker(facts({ requiresApproval: true, approval: "approved" }))).toBeNull();
    // A stopped journey is published again even when its draft is the latest version.
    expect(publishBlocker(facts({ status: "stopped", diff: graphDiff(live, live) }))).toBeNull();
  });
});

describe("olderInFlight", () => {
  it("counts the profiles on versions before the live one", () => {
    const inFlight = [
      { version: 1, profiles: 5 },
      { version: 2, profiles: 7 },
      { version: 3, profiles: 40 },
    ];
    expect(olderInFlight(inFlight, 3)).toBe("12 profiles still on older versions (v1: 5, v2: 7)");
    expect(olderInFlight([{ version: 1, profiles: 1 }], 2)).toBe("1 profile still on older versions (v1: 1)");
    expect(olderInFlight(inFlight.slice(2), 3)).toBeNull();
    expect(olderInFlight(inFlight, null)).toBeNull();
  });
});

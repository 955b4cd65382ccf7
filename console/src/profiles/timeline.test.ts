import { describe, expect, it } from "vitest";

import { timelineText } from "./timeline";

const at = "2026-01-01T00:00:00Z";

describe("timelineText", () => {
  it("says each kind in a line", () => {
    expect(timelineText({ at, kind: "event", data: { name: "cart.paid", properties: { total: 3 } } })).toBe('cart.paid {"total":3}');
    expect(timelineText({ at, kind: "journey_exited", data: { journey_id: "cart", version: 2, status: "exited", reason: "end" } })).toBe(
      "cart v2: exited (end)",
    );
    expect(
      timelineText({ at, kind: "message", data: { channel: "sms", template: "t", status: "skipped", reason: "quiet", journey_id: "cart", node_id: "n" } }),
    ).toBe("sms t: skipped (quiet) · cart/n");
    expect(timelineText({ at, kind: "audience_entered", data: { audience_id: "vip" } })).toBe("vip");
  });
});

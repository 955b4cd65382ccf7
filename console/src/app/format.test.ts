import { describe, expect, it } from "vitest";

import { formatClock, formatThroughput, formatTime, formatUtc, formatValue } from "./format";

describe("format", () => {
  it("shows a moment in the asked zone and in UTC", () => {
    const at = "2026-12-03T14:05:09.123Z";
    expect(formatUtc(at)).toBe("2026-12-03 14:05:09 UTC");
    expect(formatTime(at, "Asia/Tokyo")).toContain("11:05:09");
    expect(formatTime(at, "UTC")).toContain("2:05:09");
    expect(formatClock(at, "Asia/Tokyo")).toMatch(/^11:05:09/);
    expect(formatClock(at, "Asia/Tokyo")).not.toContain("2026");
  });

  it("writes evaluated values as the expression language does", () => {
    expect(formatValue(true)).toBe("true");
    expect(formatValue("vip")).toBe('"vip"');
    expect(formatValue(null)).toBe("null");
    expect(formatValue({ a: [1, 2] })).toBe('{"a":[1,2]}');
    expect(formatValue(undefined)).toBe("–");
  });

  it("rounds a throughput by its size", () => {
    expect(formatThroughput(2.345)).toBe("2.3 /s");
    expect(formatThroughput(1234.6)).toMatch(/^1.?235 \/s$/);
    expect(formatThroughput(null)).toBe("–");
    expect(formatThroughput(Infinity)).toBe("–");
  });
});

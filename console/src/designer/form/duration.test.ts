import { describe, expect, it } from "vitest";

import { describeDuration, joinDuration, splitDuration } from "./duration";

describe("the ISO 8601 duration helper", () => {
  it("splits one-unit durations into an amount and a unit", () => {
    expect(splitDuration("PT2H")).toEqual({ amount: 2, unit: "hours" });
    expect(splitDuration("PT30M")).toEqual({ amount: 30, unit: "minutes" });
    expect(splitDuration("P1M")).toEqual({ amount: 1, unit: "months" });
    expect(splitDuration("P90D")).toEqual({ amount: 90, unit: "days" });
    expect(splitDuration("P2W")).toEqual({ amount: 2, unit: "weeks" });
    expect(splitDuration("P1DT2H")).toBeNull();
    expect(splitDuration("soon")).toBeNull();
    expect(splitDuration("")).toBeNull();
  });

  it("joins them back, months and minutes apart", () => {
    expect(joinDuration({ amount: 2, unit: "hours" })).toBe("PT2H");
    expect(joinDuration({ amount: 15, unit: "minutes" })).toBe("PT15M");
    expect(joinDuration({ amount: 3, unit: "months" })).toBe("P3M");
    expect(joinDuration({ amount: 1, unit: "years" })).toBe("P1Y");
    expect(joinDuration({ amount: 10, unit: "seconds" })).toBe("PT10S");
    for (const text of ["PT2H", "PT30M", "P1M", "P90D", "P2W", "PT45S", "P1Y"]) {
      const split = splitDuration(text);
      expect(split && joinDuration(split)).toBe(text);
    }
  });

  it("says a duration of several units in words", () => {
    expect(describeDuration("P1DT2H")).toBe("1 day 2 hours");
    expect(describeDuration("P1Y2M3W4DT5H6M7.5S")).toBe("1 year 2 months 3 weeks 4 days 5 hours 6 minutes 7.5 seconds");
    expect(describeDuration("1 day")).toBeNull();
  });
});

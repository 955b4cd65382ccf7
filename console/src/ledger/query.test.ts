import { describe, expect, it } from "vitest";

import { messageQuery, NO_FILTERS } from "./query";

describe("messageQuery", () => {
  it("sends only the filters given, trimmed and escaped", () => {
    expect(messageQuery(NO_FILTERS)).toBe("limit=50");
    expect(messageQuery({ ...NO_FILTERS, profile_id: " u 1 ", status: "skipped" }, "abc", 20)).toBe(
      "profile_id=u+1&status=skipped&limit=20&before=abc",
    );
  });
});

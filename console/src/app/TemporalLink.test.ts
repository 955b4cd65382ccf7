import { describe, expect, it } from "vitest";

import { temporalHref } from "./TemporalLink";

describe("temporalHref", () => {
  const base = "http://127.0.0.1:8233/namespaces/default/workflows";

  it("points at a workflow's page, its id escaped", () => {
    expect(temporalHref(base, { workflow: "journey:cart:u 1" })).toBe(`${base}/journey%3Acart%3Au%201`);
  });

  it("points at the workflows a visibility query selects", () => {
    expect(temporalHref(base, { query: 'JourneyId = "cart"' })).toBe(`${base}?query=JourneyId%20%3D%20%22cart%22`);
  });
});

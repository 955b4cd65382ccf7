import { describe, expect, it } from "vitest";

import { draftText } from "./draft";
import { openingDraft, sameValue, skeleton } from "./load";

const SOURCE = "# mine\nid: j\nstart: a\nnodes:\n  a: {type: end} # the end\n";

describe("the draft the designer opens", () => {
  it("is the saved design while it says what the stored draft says", () => {
    const stored = { nodes: { a: { type: "end" } }, start: "a", id: "j" };
    const { draft, from } = openingDraft("j", stored, { source: SOURCE, positions: { a: { x: 1, y: 2 } } });
    expect([draftText(draft, "yaml"), from, draft.positions]).toEqual([SOURCE, "the saved design", { a: { x: 1, y: 2 } }]);
  });

  it("is the stored draft once it differs, with the positions of the nodes still there", () => {
    const stored = { id: "j", start: "b", nodes: { a: { type: "end" }, b: { type: "wait", duration: "PT1H", next: "a" } } };
    const design = { source: SOURCE, positions: { a: { x: 1, y: 2 }, gone: { x: 3, y: 4 } } };
    const { draft, from } = openingDraft("j", stored, design);
    expect(from).toBe("the journey's draft");
    expect(draft.positions).toEqual({ a: { x: 1, y: 2 } });
    expect(draftText(draft, "yaml")).toBe(
      "id: j\nstart: b\nnodes:\n  a:\n    type: end\n  b:\n    type: wait\n    duration: PT1H\n    next: a\n",
    );
  });

  it("is the design alone when there is no draft yet (work in progress), else a skeleton", () => {
    expect(openingDraft("j", null, { source: "id: j\nnodes: {}\n", positions: {} }).from).toBe("the saved design");
    const fresh = openingDraft("new-one", null, null);
    expect([draftText(fresh.draft, "yaml"), fresh.from]).toEqual([skeleton("new-one"), "a new journey"]);
    expect(openingDraft("j", null, { source: "a: [", positions: {} }).from).toBe("a new journey");
  });

  it("compares definitions whatever their key order", () => {
    expect(sameValue({ a: [1, { b: 2, c: 3 }] }, { a: [1, { c: 3, b: 2 }] })).toBe(true);
    expect(sameValue({ a: [1] }, { a: [1, 2] })).toBe(false);
    expect(sameValue({ a: 1 }, { a: 1, b: undefined })).toBe(false);
  });
});

import { describe, expect, it } from "vitest";

import { canRedo, canUndo, initial, push, redo, undo } from "./history";

describe("history", () => {
  it("undoes and redoes in order, and a new edit drops the undone future", () => {
    let h = push(push(initial("a"), "b"), "c");
    h = undo(h);
    expect(h.present).toBe("b");
    h = undo(h);
    expect([h.present, canUndo(h), canRedo(h)]).toEqual(["a", false, true]);
    expect(undo(h)).toBe(h);
    h = redo(h);
    expect(h.present).toBe("b");
    h = push(h, "d");
    expect([h.past, h.present, h.future]).toEqual([["a", "b"], "d", []]);
    expect(redo(h)).toBe(h);
  });

  it("makes edits of one group in a row a single step", () => {
    let h = push(initial("a"), "ab", "code");
    h = push(h, "abc", "code");
    expect([h.past, h.present]).toEqual([["a"], "abc"]);
    h = push(h, "abcd");
    expect(undo(undo(h)).present).toBe("a");
  });

  it("ignores an edit that changes nothing", () => {
    const h = initial("a");
    expect(push(h, "a")).toBe(h);
  });
});

import { describe, expect, it } from "vitest";

import { nodeTypes, slotFields } from "./slots";
import { journeySchema, slotsOf } from "./testing";

describe("slots from the schema", () => {
  it("lists every node type the schema knows", () => {
    expect(nodeTypes(journeySchema)).toEqual([
      "action", "condition", "decide", "end", "experiment", "fetch", "jump", "message", "split",
      "update_profile", "wait", "wait_for_event",
    ]);
  });

  it("finds the slots of each kind: plain, nested, one per list item", () => {
    expect(slotFields(journeySchema, "condition")).toEqual([
      { field: "branches", sub: "next", many: true },
      { field: "otherwise", sub: null, many: false },
    ]);
    expect(slotFields(journeySchema, "experiment")).toEqual([
      { field: "variants", sub: "next", many: true },
      { field: "holdout", sub: "next", many: false },
    ]);
    expect(slotFields(journeySchema, "wait_for_event").map((f) => f.field)).toEqual(["on_event", "on_timeout"]);
    expect(slotFields(journeySchema, "action").map((f) => f.field)).toEqual(["next", "on_error"]);
    expect(slotFields(journeySchema, "end")).toEqual([]);
  });

  it("reads a node's slots with their targets and a '+' slot per list", () => {
    const node = { type: "split", paths: [{ name: "a", weight: 50, next: "x" }, { name: "b", weight: 50 }] };
    expect(slotsOf(node)).toEqual([
      { key: "paths.0.next", path: ["paths", 0, "next"], label: "a", target: "x", adds: false },
      { key: "paths.1.next", path: ["paths", 1, "next"], label: "b", target: null, adds: false },
      { key: "paths.+.next", path: ["paths", 2, "next"], label: "+ paths", target: null, adds: true },
    ]);
    expect(slotsOf({ type: "nonsense" })).toEqual([]);
    expect(slotsOf(null)).toEqual([]);
  });
});

import { describe, expect, it } from "vitest";

import { changedPaths, folded, graphDiff, lineDiff, unchanged, yamlDiff } from "./diff";

const live = {
  id: "cart",
  start: "wait_order",
  entry: { event: "cart.updated", when: null },
  timeout: "P30D",
  nodes: {
    wait_order: { type: "wait_for_event", event: "order.completed", timeout: "PT1H", on_event: "done", on_timeout: "remind" },
    remind: { type: "message", channel: "email", template: "cart-reminder", next: "big_cart" },
    big_cart: { type: "condition", branches: [{ when: "event.properties.total > 100", next: "sms" }], otherwise: "done" },
    sms: { type: "message", channel: "sms", template: "coupon-sms", next: "done" },
    done: { type: "end" },
  },
};

const draft = {
  id: "cart",
  start: "wait_order",
  entry: { event: "cart.updated" }, // when: null and absent are the same
  timeout: "P7D",
  nodes: {
    wait_order: { type: "wait_for_event", event: "order.completed", timeout: "PT1H", on_event: "done", on_timeout: "remind" },
    remind: { type: "message", channel: "email", template: "cart-reminder", next: "big_cart" },
    big_cart: { type: "condition", branches: [{ when: "event.properties.total > 200", next: "push" }], otherwise: "done" },
    push: { type: "message", channel: "push", template: "coupon-push", next: "done" },
    done: { type: "end" },
  },
};

describe("graphDiff", () => {
  it("names the nodes added, removed and changed, with the changed fields' paths", () => {
    const diff = graphDiff(live, draft);
    expect(diff.nodes).toEqual({
      added: ["push"],
      removed: ["sms"],
      changed: [{ id: "big_cart", fields: ["branches[0].when", "branches[0].next"] }],
    });
    expect(diff.settings).toEqual(["timeout"]);
    expect(unchanged(diff)).toBe(false);
  });

  it("lists a re-pointed edge as one removed and one added", () => {
    const { edges } = graphDiff(live, draft);
    expect(edges.removed).toEqual([
      { source: "big_cart", target: "sms", label: "if 1: event.properties.total > 100" },
      { source: "sms", target: "done", label: "next" },
    ]);
    expect(edges.added).toEqual([
      { source: "big_cart", target: "push", label: "if 1: event.properties.total > 200" },
      { source: "push", target: "done", label: "next" },
    ]);
  });

  it("finds nothing to publish in the same definition, and everything added without a live one", () => {
    expect(unchanged(graphDiff(live, structuredClone(live)))).toBe(true);
    const first = graphDiff(null, draft);
    expect(first.nodes.added).toEqual(["wait_order", "remind", "big_cart", "push", "done"]);
    expect([first.nodes.removed, first.nodes.changed, first.settings, first.edges.removed]).toEqual([[], [], [], []]);
    expect(first.edges.added).toHaveLength(6);
  });

  it("does not fail on a half-written node", () => {
    const partial = { ...draft, nodes: { ...draft.nodes, big_cart: { type: "condition" } } };
    expect(graphDiff(live, partial).nodes.changed).toEqual([
      { id: "big_cart", fields: ["branches", "otherwise"] },
    ]);
  });
});

describe("changedPaths", () => {
  it("reports array items past the shorter list by index", () => {
    expect(changedPaths({ exit_on: ["a"] }, { exit_on: ["a", "b"], dry_run: false }, "")).toEqual(["exit_on[1]", "dry_run"]);
  });
});

describe("lineDiff", () => {
  it("tags each line of either text same, removed or added, in order", () => {
    expect(lineDiff("a\nb\nc\nd\n", "a\nc\nx\nd\n")).toEqual([
      { tag: "same", text: "a" },
      { tag: "removed", text: "b" },
      { tag: "same", text: "c" },
      { tag: "added", text: "x" },
      { tag: "same", text: "d" },
    ]);
    expect(lineDiff("", "one\n")).toEqual([{ tag: "added", text: "one" }]);
  });

  it("diffs the definitions' YAML", () => {
    const lines = yamlDiff({ id: "j", timeout: "P30D" }, { id: "j", timeout: "P7D" });
    expect(lines).toEqual([
      { tag: "same", text: "id: j" },
      { tag: "removed", text: "timeout: P30D" },
      { tag: "added", text: "timeout: P7D" },
    ]);
  });

  it("folds long unchanged runs, keeping context around each change", () => {
    const before = Array.from({ length: 20 }, (_, i) => `l${i}`).join("\n");
    const after = before.replace("l10", "L10");
    const hunks = folded(lineDiff(before, after), 2);
    expect(hunks).toEqual([
      { skipped: 8 },
      [
        { tag: "same", text: "l8" },
        { tag: "same", text: "l9" },
        { tag: "removed", text: "l10" },
        { tag: "added", text: "L10" },
        { tag: "same", text: "l11" },
        { tag: "same", text: "l12" },
      ],
      { skipped: 7 },
    ]);
  });
});

import { describe, expect, it } from "vitest";

import { abandonedCart, chain, everyType } from "./fixtures";
import { journeyGraph } from "./graph";
import { backEdges, layout, type Placed } from "./layout";

const overlap = (a: Placed, b: Placed): boolean =>
  a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

function expectNoOverlap(placed: Placed[]): void {
  for (let i = 0; i < placed.length; i++)
    for (let j = i + 1; j < placed.length; j++) {
      const [a, b] = [placed[i], placed[j]];
      if (a && b) expect(overlap(a, b), `${a.id} overlaps ${b.id}`).toBe(false);
    }
}

describe("layout", () => {
  it.each([
    ["abandoned cart", abandonedCart],
    ["every node type", everyType],
    ["a 200-node chain", chain(200)],
  ])("places every node of %s without overlaps", (_, definition) => {
    const graph = journeyGraph(definition);
    const placed = layout(graph);
    expect([...placed.nodes.keys()].sort()).toEqual(Object.keys(definition.nodes).sort());
    for (const p of placed.nodes.values()) expect(Number.isFinite(p.x) && Number.isFinite(p.y)).toBe(true);
    expectNoOverlap([...placed.nodes.values()]);
  });

  it("puts the entry at the top and the branches below it", () => {
    const placed = layout(journeyGraph(abandonedCart)).nodes;
    const top = placed.get("wait_order")?.y ?? NaN;
    for (const [id, p] of placed) if (id !== "wait_order") expect(p.y).toBeGreaterThan(top);
    expect(placed.get("sms_coupon")?.y).toBeGreaterThan(placed.get("big_cart")?.y ?? Infinity);
  });

  it("fans the paths of a split out side by side", () => {
    const placed = layout(journeyGraph(everyType)).nodes;
    expect(placed.get("email")?.y).toBe(placed.get("exp")?.y);
    expect(placed.get("email")?.x).not.toBe(placed.get("exp")?.x);
  });

  it("draws a loop as a back edge and only that edge", () => {
    const graph = journeyGraph(everyType);
    expect([...backEdges(graph)]).toEqual(["listen->wait#1"]);
    const placed = layout(graph);
    expect(placed.loops.has("listen->wait#1")).toBe(true);
    expect(placed.nodes.get("wait")?.y).toBeLessThan(placed.nodes.get("listen")?.y ?? -Infinity);
  });

  it("finds no loop in a journey without one", () => {
    expect(backEdges(journeyGraph(abandonedCart)).size).toBe(0);
  });
});

describe("graph", () => {
  it("names edges by branch, path and outcome", () => {
    const labels = journeyGraph(everyType).edges.map((e) => `${e.source}>${e.target} ${e.label}`);
    expect(labels).toEqual([
      "wait>split next",
      "split>email a · 50%",
      "split>exp b · 50%",
      "email>call next",
      "exp>fetch v1 · 90%",
      "exp>end holdout · 10%",
      "call>update next",
      "call>end on error",
      "fetch>update next",
      "update>listen next",
      "listen>jump event",
      "listen>wait timeout",
    ]);
  });

  it("labels condition branches with their expressions", () => {
    const labels = journeyGraph(abandonedCart).edges.filter((e) => e.source === "big_cart").map((e) => e.label);
    expect(labels).toEqual(["if 1: event.properties.total > 100", "otherwise"]);
  });
});
